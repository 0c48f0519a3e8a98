/* inc-canvas.c: a GtkGLArea that draws the current image as one textured
 * quad, with zoom, pan and a held key to compare with the original; the
 * dream's mask is a second texture tinted over it, and in painting mode
 * the primary button's drags become brush strokes (in image pixels).
 *
 * GL objects live from realize to unrealize; textures are uploaded on the
 * main thread when a finished frame arrives; render only draws. */
#include "app/inc-canvas.h"

#include <epoxy/gl.h>
#include <math.h>
#include <string.h>

#define ZOOM_MIN  0.05
#define ZOOM_MAX  32.0
#define ZOOM_STEP 1.25

enum { IMAGE_DREAM, IMAGE_ORIGINAL, N_IMAGES };

typedef struct {
  GBytes  *rgba;
  int      width;
  int      height;
  gboolean dirty;      /* bytes newer than the texture */
  gboolean uploaded;   /* the texture holds an image */
} CanvasImage;

struct _IncCanvas
{
  GtkGLArea    parent_instance;

  GLuint       program;
  GLuint       vao;
  GLuint       vbo;
  GLuint       textures[N_IMAGES];
  GLint        u_rect;
  GLint        u_texture;
  GLint        u_mask;
  GLint        u_mask_opacity;
  GLint        u_tint;
  GLint        u_brush;
  GLint        u_size;
  GLuint       mask_texture;

  CanvasImage  images[N_IMAGES];
  gboolean     show_original;

  /* The mask as bytes, and the part of it newer than the texture. */
  guint8      *mask8;
  int          mask_width;
  int          mask_height;
  IncRect      mask_dirty;
  gboolean     mask_resized;
  gboolean     show_mask;
  double       mask_opacity;

  gboolean     painting;      /* the primary button paints */
  gboolean     stroking;      /* a stroke is in progress */
  gboolean     panning;
  double       brush_size;    /* image pixels, for the outline */
  gboolean     pointer_inside;

  double       zoom;          /* when not fitting */
  gboolean     fit;
  double       off_x;         /* image centre minus widget centre, px */
  double       off_y;
  double       drag_off_x;
  double       drag_off_y;
  double       pointer_x;
  double       pointer_y;
  guint        notify_zoom_id;
};

G_DEFINE_FINAL_TYPE (IncCanvas, inc_canvas, GTK_TYPE_GL_AREA)

enum {
  PROP_0,
  PROP_ZOOM,
  PROP_FIT,
  PROP_SHOW_ORIGINAL,
  PROP_SHOW_MASK,
  PROP_MASK_OPACITY,
  PROP_PAINTING,
  PROP_BRUSH_SIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  STROKE_BEGIN,
  STROKE_MOTION,
  STROKE_END,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Where the mask is painted: a warm tint that reads on most photos. */
static const float mask_tint[3] = { 1.0f, 0.25f, 0.45f };

static const char *vertex_source =
  "in vec2 position;\n"
  "out vec2 uv;\n"
  "uniform vec4 rect;\n"
  "void main () {\n"
  "  uv = position;\n"
  "  gl_Position = vec4 (mix (rect.x, rect.z, position.x),\n"
  "                      mix (rect.y, rect.w, position.y), 0.0, 1.0);\n"
  "}\n";

/* brush: centre and radius in image pixels and the outline's width; a
 * radius of 0 draws no outline. The outline inverts what is under it so it
 * shows on any image. */
static const char *fragment_source =
  "in vec2 uv;\n"
  "out vec4 color;\n"
  "uniform sampler2D image;\n"
  "uniform sampler2D mask;\n"
  "uniform float mask_opacity;\n"
  "uniform vec3 tint;\n"
  "uniform vec4 brush;\n"
  "uniform vec2 size;\n"
  "void main () {\n"
  "  vec3 rgb = texture (image, uv).rgb;\n"
  "  rgb = mix (rgb, tint, texture (mask, uv).r * mask_opacity);\n"
  "  if (brush.z > 0.0) {\n"
  "    float d = abs (distance (uv * size, brush.xy) - brush.z);\n"
  "    rgb = mix (rgb, vec3 (1.0) - rgb, 1.0 - smoothstep (0.0, brush.w, d));\n"
  "  }\n"
  "  color = vec4 (rgb, 1.0);\n"
  "}\n";

static const CanvasImage *
visible_image (IncCanvas *self)
{
  if (self->show_original && self->images[IMAGE_ORIGINAL].uploaded)
    return &self->images[IMAGE_ORIGINAL];
  if (self->images[IMAGE_DREAM].rgba != NULL)
    return &self->images[IMAGE_DREAM];
  return &self->images[IMAGE_ORIGINAL];
}

static void
image_size (IncCanvas *self,
            int       *width,
            int       *height)
{
  const CanvasImage *image = visible_image (self);

  *width = image->width;
  *height = image->height;
}

static double
fit_zoom (IncCanvas *self)
{
  int iw, ih;
  int ww = gtk_widget_get_width (GTK_WIDGET (self));
  int wh = gtk_widget_get_height (GTK_WIDGET (self));

  image_size (self, &iw, &ih);
  if (iw <= 0 || ih <= 0 || ww <= 0 || wh <= 0)
    return 1.0;
  return CLAMP (MIN ((double) ww / iw, (double) wh / ih), ZOOM_MIN, ZOOM_MAX);
}

double
inc_canvas_get_zoom (IncCanvas *self)
{
  g_return_val_if_fail (INC_IS_CANVAS (self), 1.0);

  return self->fit ? fit_zoom (self) : self->zoom;
}

gboolean
inc_canvas_get_fit (IncCanvas *self)
{
  g_return_val_if_fail (INC_IS_CANVAS (self), FALSE);

  return self->fit;
}

static GLuint
compile_shader (GLenum       type,
                const char  *header,
                const char  *body,
                GError     **error)
{
  const char *sources[2] = { header, body };
  GLuint shader = glCreateShader (type);
  GLint ok = GL_FALSE;

  glShaderSource (shader, 2, sources, NULL);
  glCompileShader (shader);
  glGetShaderiv (shader, GL_COMPILE_STATUS, &ok);
  if (!ok)
    {
      char log[1024] = "";

      glGetShaderInfoLog (shader, sizeof log, NULL, log);
      g_set_error (error, GDK_GL_ERROR, GDK_GL_ERROR_COMPILATION_FAILED,
                   "Could not compile the canvas shader: %s", log);
      glDeleteShader (shader);
      return 0;
    }
  return shader;
}

static gboolean
create_program (IncCanvas     *self,
                GdkGLContext  *context,
                GError       **error)
{
  const char *header = gdk_gl_context_get_use_es (context)
    ? "#version 300 es\nprecision mediump float;\n"
    : "#version 150\n";
  GLuint vs, fs;
  GLint ok = GL_FALSE;

  if (!(vs = compile_shader (GL_VERTEX_SHADER, header, vertex_source, error)))
    return FALSE;
  if (!(fs = compile_shader (GL_FRAGMENT_SHADER, header, fragment_source, error)))
    {
      glDeleteShader (vs);
      return FALSE;
    }

  self->program = glCreateProgram ();
  glAttachShader (self->program, vs);
  glAttachShader (self->program, fs);
  glBindAttribLocation (self->program, 0, "position");
  glLinkProgram (self->program);
  glDetachShader (self->program, vs);
  glDetachShader (self->program, fs);
  glDeleteShader (vs);
  glDeleteShader (fs);

  glGetProgramiv (self->program, GL_LINK_STATUS, &ok);
  if (!ok)
    {
      char log[1024] = "";

      glGetProgramInfoLog (self->program, sizeof log, NULL, log);
      g_set_error (error, GDK_GL_ERROR, GDK_GL_ERROR_LINK_FAILED,
                   "Could not link the canvas shader: %s", log);
      glDeleteProgram (self->program);
      self->program = 0;
      return FALSE;
    }

  self->u_rect = glGetUniformLocation (self->program, "rect");
  self->u_texture = glGetUniformLocation (self->program, "image");
  self->u_mask = glGetUniformLocation (self->program, "mask");
  self->u_mask_opacity = glGetUniformLocation (self->program, "mask_opacity");
  self->u_tint = glGetUniformLocation (self->program, "tint");
  self->u_brush = glGetUniformLocation (self->program, "brush");
  self->u_size = glGetUniformLocation (self->program, "size");
  return TRUE;
}

/* Must be called with the context current. */
static void
upload (IncCanvas *self,
        guint      which)
{
  CanvasImage *image = &self->images[which];
  gsize size;
  const guint8 *data;

  if (!image->dirty || self->textures[which] == 0)
    return;
  image->dirty = FALSE;
  if (image->rgba == NULL)
    {
      image->uploaded = FALSE;
      return;
    }

  data = g_bytes_get_data (image->rgba, &size);
  g_return_if_fail (size >= (gsize) image->width * image->height * 4);

  glBindTexture (GL_TEXTURE_2D, self->textures[which]);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
  glTexImage2D (GL_TEXTURE_2D, 0, GL_RGBA8, image->width, image->height, 0,
                GL_RGBA, GL_UNSIGNED_BYTE, data);
  /* Mipmaps keep zoomed-out views free of aliasing. */
  glGenerateMipmap (GL_TEXTURE_2D);
  glBindTexture (GL_TEXTURE_2D, 0);
  image->uploaded = TRUE;
}

/* Must be called with the context current: the changed part only. */
static void
upload_mask (IncCanvas *self)
{
  static const guint8 zero = 0;
  IncRect *r = &self->mask_dirty;

  if (self->mask_texture == 0)
    return;
  glBindTexture (GL_TEXTURE_2D, self->mask_texture);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 1);
  if (self->mask8 == NULL)
    {
      if (self->mask_resized)
        glTexImage2D (GL_TEXTURE_2D, 0, GL_R8, 1, 1, 0, GL_RED, GL_UNSIGNED_BYTE, &zero);
    }
  else if (self->mask_resized)
    glTexImage2D (GL_TEXTURE_2D, 0, GL_R8, self->mask_width, self->mask_height, 0,
                  GL_RED, GL_UNSIGNED_BYTE, self->mask8);
  else if (!inc_rect_is_empty (r))
    {
      glPixelStorei (GL_UNPACK_ROW_LENGTH, self->mask_width);
      glTexSubImage2D (GL_TEXTURE_2D, 0, r->x, r->y, r->width, r->height,
                       GL_RED, GL_UNSIGNED_BYTE,
                       self->mask8 + (gsize) r->y * self->mask_width + r->x);
      glPixelStorei (GL_UNPACK_ROW_LENGTH, 0);
    }
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
  glBindTexture (GL_TEXTURE_2D, 0);
  self->mask_resized = FALSE;
  memset (r, 0, sizeof *r);
}

static void
upload_pending (IncCanvas *self)
{
  if (self->program == 0 || !gtk_widget_get_realized (GTK_WIDGET (self)))
    return;

  gtk_gl_area_make_current (GTK_GL_AREA (self));
  if (gtk_gl_area_get_error (GTK_GL_AREA (self)) != NULL)
    return;
  for (guint i = 0; i < N_IMAGES; i++)
    upload (self, i);
  upload_mask (self);
}

static void
inc_canvas_realize (GtkWidget *widget)
{
  IncCanvas *self = INC_CANVAS (widget);
  static const float quad[] = { 0, 0, 1, 0, 0, 1, 1, 1 };
  g_autoptr(GError) error = NULL;

  GTK_WIDGET_CLASS (inc_canvas_parent_class)->realize (widget);

  gtk_gl_area_make_current (GTK_GL_AREA (self));
  if (gtk_gl_area_get_error (GTK_GL_AREA (self)) != NULL)
    return;

  if (!create_program (self, gtk_gl_area_get_context (GTK_GL_AREA (self)), &error))
    {
      gtk_gl_area_set_error (GTK_GL_AREA (self), error);
      return;
    }

  glGenVertexArrays (1, &self->vao);
  glBindVertexArray (self->vao);
  glGenBuffers (1, &self->vbo);
  glBindBuffer (GL_ARRAY_BUFFER, self->vbo);
  glBufferData (GL_ARRAY_BUFFER, sizeof quad, quad, GL_STATIC_DRAW);
  glEnableVertexAttribArray (0);
  glVertexAttribPointer (0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
  glBindVertexArray (0);
  glBindBuffer (GL_ARRAY_BUFFER, 0);

  glGenTextures (N_IMAGES, self->textures);
  for (guint i = 0; i < N_IMAGES; i++)
    {
      glBindTexture (GL_TEXTURE_2D, self->textures[i]);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
      /* A new context has empty textures: upload whatever we hold. */
      self->images[i].dirty = TRUE;
      self->images[i].uploaded = FALSE;
      upload (self, i);
    }
  glGenTextures (1, &self->mask_texture);
  glBindTexture (GL_TEXTURE_2D, self->mask_texture);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  self->mask_resized = TRUE;
  upload_mask (self);
  glBindTexture (GL_TEXTURE_2D, 0);
}

static void
inc_canvas_unrealize (GtkWidget *widget)
{
  IncCanvas *self = INC_CANVAS (widget);

  gtk_gl_area_make_current (GTK_GL_AREA (self));
  if (gtk_gl_area_get_error (GTK_GL_AREA (self)) == NULL)
    {
      if (self->textures[0] != 0)
        glDeleteTextures (N_IMAGES, self->textures);
      if (self->mask_texture != 0)
        glDeleteTextures (1, &self->mask_texture);
      if (self->vbo != 0)
        glDeleteBuffers (1, &self->vbo);
      if (self->vao != 0)
        glDeleteVertexArrays (1, &self->vao);
      if (self->program != 0)
        glDeleteProgram (self->program);
    }
  memset (self->textures, 0, sizeof self->textures);
  self->mask_texture = 0;
  self->vbo = self->vao = self->program = 0;
  for (guint i = 0; i < N_IMAGES; i++)
    self->images[i].uploaded = FALSE;

  GTK_WIDGET_CLASS (inc_canvas_parent_class)->unrealize (widget);
}

/* Where the image lies in the widget: its top left corner and the zoom. */
static void
view_origin (IncCanvas *self,
             double    *left,
             double    *top,
             double    *zoom)
{
  int iw, ih;
  double ww = gtk_widget_get_width (GTK_WIDGET (self));
  double wh = gtk_widget_get_height (GTK_WIDGET (self));

  image_size (self, &iw, &ih);
  *zoom = inc_canvas_get_zoom (self);
  *left = ww / 2 + self->off_x - iw * *zoom / 2;
  *top = wh / 2 + self->off_y - ih * *zoom / 2;
  /* Whole device pixels at 100% keep the image crisp. */
  if (!self->fit)
    {
      *left = round (*left);
      *top = round (*top);
    }
}

void
inc_canvas_widget_to_image (IncCanvas *self,
                            double     x,
                            double     y,
                            double    *image_x,
                            double    *image_y)
{
  double left, top, zoom;

  g_return_if_fail (INC_IS_CANVAS (self));

  view_origin (self, &left, &top, &zoom);
  *image_x = (x - left) / zoom;
  *image_y = (y - top) / zoom;
}

void
inc_canvas_image_to_widget (IncCanvas *self,
                            double     image_x,
                            double     image_y,
                            double    *x,
                            double    *y)
{
  double left, top, zoom;

  g_return_if_fail (INC_IS_CANVAS (self));

  view_origin (self, &left, &top, &zoom);
  *x = left + image_x * zoom;
  *y = top + image_y * zoom;
}

static gboolean
inc_canvas_render (GtkGLArea    *area,
                   GdkGLContext *context)
{
  IncCanvas *self = INC_CANVAS (area);
  const CanvasImage *image = visible_image (self);
  guint which = image == &self->images[IMAGE_ORIGINAL] ? IMAGE_ORIGINAL : IMAGE_DREAM;
  double ww = gtk_widget_get_width (GTK_WIDGET (self));
  double wh = gtk_widget_get_height (GTK_WIDGET (self));
  double zoom, dw, dh, left, top;
  gboolean mask_fits;

  glClearColor (0.188f, 0.188f, 0.188f, 1.0f);
  glClear (GL_COLOR_BUFFER_BIT);

  if (self->program == 0 || !image->uploaded || ww <= 0 || wh <= 0)
    return TRUE;

  view_origin (self, &left, &top, &zoom);
  dw = image->width * zoom;
  dh = image->height * zoom;
  mask_fits = self->mask8 != NULL && self->mask_width == image->width &&
              self->mask_height == image->height;

  glUseProgram (self->program);
  glUniform4f (self->u_rect,
               (float) (left / ww * 2 - 1),
               (float) (1 - top / wh * 2),
               (float) ((left + dw) / ww * 2 - 1),
               (float) (1 - (top + dh) / wh * 2));
  glActiveTexture (GL_TEXTURE0);
  glBindTexture (GL_TEXTURE_2D, self->textures[which]);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER,
                   zoom < 1.0 ? GL_LINEAR_MIPMAP_LINEAR : GL_LINEAR);
  /* Large zoom is for inspecting pixels: show them as squares. */
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER,
                   zoom >= 2.0 ? GL_NEAREST : GL_LINEAR);
  glUniform1i (self->u_texture, 0);
  glActiveTexture (GL_TEXTURE1);
  glBindTexture (GL_TEXTURE_2D, self->mask_texture);
  glUniform1i (self->u_mask, 1);
  glUniform1f (self->u_mask_opacity,
               mask_fits && self->show_mask ? (float) self->mask_opacity : 0.0f);
  glUniform3f (self->u_tint, mask_tint[0], mask_tint[1], mask_tint[2]);
  glUniform2f (self->u_size, image->width, image->height);
  if (self->painting && self->pointer_inside)
    {
      double ix, iy;

      inc_canvas_widget_to_image (self, self->pointer_x, self->pointer_y, &ix, &iy);
      glUniform4f (self->u_brush, ix, iy, MAX (self->brush_size / 2, 0.5),
                   1.5 / zoom);
    }
  else
    glUniform4f (self->u_brush, 0, 0, 0, 1);
  glBindVertexArray (self->vao);
  glDrawArrays (GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray (0);
  glBindTexture (GL_TEXTURE_2D, 0);
  glActiveTexture (GL_TEXTURE0);
  glBindTexture (GL_TEXTURE_2D, 0);
  glUseProgram (0);

  return TRUE;
}

static gboolean
notify_zoom_cb (gpointer data)
{
  IncCanvas *self = data;

  self->notify_zoom_id = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  return G_SOURCE_REMOVE;
}

static void
inc_canvas_size_allocate (GtkWidget *widget,
                          int        width,
                          int        height,
                          int        baseline)
{
  IncCanvas *self = INC_CANVAS (widget);

  GTK_WIDGET_CLASS (inc_canvas_parent_class)->size_allocate (widget, width, height, baseline);

  /* A fitted zoom follows the size. Listeners may resize other widgets, which
   * must not happen in the middle of a layout, so they hear of it after. */
  if (self->fit && self->notify_zoom_id == 0)
    self->notify_zoom_id = g_idle_add (notify_zoom_cb, self);
}

static void
set_image (IncCanvas *self,
           guint      which,
           GBytes    *rgba,
           int        width,
           int        height)
{
  CanvasImage *image = &self->images[which];
  gboolean resized = image->width != width || image->height != height;

  g_return_if_fail (rgba == NULL ||
                    g_bytes_get_size (rgba) >= (gsize) width * height * 4);

  g_clear_pointer (&image->rgba, g_bytes_unref);
  image->rgba = rgba ? g_bytes_ref (rgba) : NULL;
  image->width = rgba ? width : 0;
  image->height = rgba ? height : 0;
  image->dirty = TRUE;
  upload_pending (self);
  if (resized && self->fit)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
inc_canvas_set_image (IncCanvas *self,
                      GBytes    *rgba,
                      int        width,
                      int        height)
{
  g_return_if_fail (INC_IS_CANVAS (self));

  set_image (self, IMAGE_DREAM, rgba, width, height);
}

void
inc_canvas_set_original (IncCanvas *self,
                         GBytes    *rgba,
                         int        width,
                         int        height)
{
  g_return_if_fail (INC_IS_CANVAS (self));

  set_image (self, IMAGE_ORIGINAL, rgba, width, height);
}

void
inc_canvas_clear (IncCanvas *self)
{
  g_return_if_fail (INC_IS_CANVAS (self));

  set_image (self, IMAGE_DREAM, NULL, 0, 0);
  set_image (self, IMAGE_ORIGINAL, NULL, 0, 0);
}

gboolean
inc_canvas_has_image (IncCanvas *self)
{
  g_return_val_if_fail (INC_IS_CANVAS (self), FALSE);

  return self->images[IMAGE_DREAM].rgba != NULL ||
         self->images[IMAGE_ORIGINAL].rgba != NULL;
}

void
inc_canvas_set_show_original (IncCanvas *self,
                              gboolean   show)
{
  g_return_if_fail (INC_IS_CANVAS (self));

  show = !!show;
  if (self->show_original == show)
    return;
  self->show_original = show;
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_ORIGINAL]);
}

gboolean
inc_canvas_get_show_original (IncCanvas *self)
{
  g_return_val_if_fail (INC_IS_CANVAS (self), FALSE);

  return self->show_original;
}

static void
clamp_offset (IncCanvas *self)
{
  int iw, ih;
  double zoom = inc_canvas_get_zoom (self);
  double ww = gtk_widget_get_width (GTK_WIDGET (self));
  double wh = gtk_widget_get_height (GTK_WIDGET (self));
  double max_x, max_y;

  image_size (self, &iw, &ih);
  /* Keep at least a corner of the image in view. */
  max_x = MAX (0, (iw * zoom + ww) / 2 - 48);
  max_y = MAX (0, (ih * zoom + wh) / 2 - 48);
  self->off_x = CLAMP (self->off_x, -max_x, max_x);
  self->off_y = CLAMP (self->off_y, -max_y, max_y);
}

/* Zooms keeping the image point under (x, y) in place. */
static void
zoom_at (IncCanvas *self,
         double     zoom,
         double     x,
         double     y)
{
  double old = inc_canvas_get_zoom (self);
  double cx = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
  double cy = gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;

  zoom = CLAMP (zoom, ZOOM_MIN, ZOOM_MAX);
  self->off_x = (x - cx) - (x - cx - self->off_x) * (zoom / old);
  self->off_y = (y - cy) - (y - cy - self->off_y) * (zoom / old);
  self->zoom = zoom;
  self->fit = FALSE;
  clamp_offset (self);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
}

void
inc_canvas_zoom_to (IncCanvas *self,
                    double     zoom)
{
  g_return_if_fail (INC_IS_CANVAS (self));

  zoom_at (self, zoom,
           gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
           gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
}

void
inc_canvas_zoom_in (IncCanvas *self)
{
  inc_canvas_zoom_to (self, inc_canvas_get_zoom (self) * ZOOM_STEP);
}

void
inc_canvas_zoom_out (IncCanvas *self)
{
  inc_canvas_zoom_to (self, inc_canvas_get_zoom (self) / ZOOM_STEP);
}

void
inc_canvas_zoom_fit (IncCanvas *self)
{
  g_return_if_fail (INC_IS_CANVAS (self));

  self->fit = TRUE;
  self->off_x = self->off_y = 0;
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
}

void
inc_canvas_pan (IncCanvas *self,
                double     dx,
                double     dy)
{
  g_return_if_fail (INC_IS_CANVAS (self));

  self->off_x += dx;
  self->off_y += dy;
  clamp_offset (self);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

static void
update_cursor (IncCanvas *self)
{
  if (self->panning)
    gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grabbing");
  else if (self->painting)
    gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "crosshair");
  else
    gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grab");
}

/* The pointer's path in widget coordinates; the pointer events and the
 * tests both come this way. */
void
inc_canvas_paint_begin (IncCanvas       *self,
                        double           x,
                        double           y,
                        GdkModifierType  state)
{
  double ix, iy;

  g_return_if_fail (INC_IS_CANVAS (self));

  if (self->stroking)
    inc_canvas_paint_end (self);
  self->stroking = TRUE;
  self->pointer_x = x;
  self->pointer_y = y;
  inc_canvas_widget_to_image (self, x, y, &ix, &iy);
  /* Ctrl erases while held. */
  g_signal_emit (self, signals[STROKE_BEGIN], 0, ix, iy,
                 (state & GDK_CONTROL_MASK) != 0);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
inc_canvas_paint_to (IncCanvas *self,
                     double     x,
                     double     y)
{
  double ix, iy;

  g_return_if_fail (INC_IS_CANVAS (self));

  if (!self->stroking)
    return;
  self->pointer_x = x;
  self->pointer_y = y;
  inc_canvas_widget_to_image (self, x, y, &ix, &iy);
  g_signal_emit (self, signals[STROKE_MOTION], 0, ix, iy);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
inc_canvas_paint_end (IncCanvas *self)
{
  g_return_if_fail (INC_IS_CANVAS (self));

  if (!self->stroking)
    return;
  self->stroking = FALSE;
  g_signal_emit (self, signals[STROKE_END], 0);
}

static void
drag_begin_cb (IncCanvas      *self,
               double          x,
               double          y,
               GtkGestureDrag *gesture)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (self->painting && button == GDK_BUTTON_PRIMARY && inc_canvas_has_image (self))
    {
      GdkModifierType state =
        gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));

      inc_canvas_paint_begin (self, x, y, state);
      return;
    }
  self->panning = TRUE;
  self->drag_off_x = self->off_x;
  self->drag_off_y = self->off_y;
  update_cursor (self);
}

static void
drag_update_cb (IncCanvas      *self,
                double          dx,
                double          dy,
                GtkGestureDrag *gesture)
{
  double x, y;

  if (self->stroking)
    {
      gtk_gesture_drag_get_start_point (gesture, &x, &y);
      inc_canvas_paint_to (self, x + dx, y + dy);
      return;
    }
  if (!self->panning)
    return;
  self->off_x = self->drag_off_x;
  self->off_y = self->drag_off_y;
  inc_canvas_pan (self, dx, dy);
}

static void
drag_end_cb (IncCanvas      *self,
             double          dx,
             double          dy,
             GtkGestureDrag *gesture)
{
  inc_canvas_paint_end (self);
  self->panning = FALSE;
  update_cursor (self);
}

static void
drag_cancel_cb (IncCanvas        *self,
                GdkEventSequence *sequence,
                GtkGesture       *gesture)
{
  inc_canvas_paint_end (self);
  self->panning = FALSE;
  update_cursor (self);
}

static void
enter_cb (IncCanvas                *self,
          double                    x,
          double                    y,
          GtkEventControllerMotion *motion)
{
  self->pointer_inside = TRUE;
  self->pointer_x = x;
  self->pointer_y = y;
  if (self->painting)
    gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

static void
leave_cb (IncCanvas                *self,
          GtkEventControllerMotion *motion)
{
  self->pointer_inside = FALSE;
  if (self->painting)
    gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

static inline guint8
mask_byte (float v)
{
  if (!(v > 0.0f))
    return 0;
  if (v >= 1.0f)
    return 255;
  return (guint8) lrintf (v * 255.0f);
}

void
inc_canvas_set_mask (IncCanvas      *self,
                     const IncImage *mask,
                     const IncRect  *rect)
{
  IncRect all;

  g_return_if_fail (INC_IS_CANVAS (self));
  g_return_if_fail (mask == NULL || mask->channels == 1);

  if (mask == NULL)
    {
      g_clear_pointer (&self->mask8, g_free);
      self->mask_width = self->mask_height = 0;
      self->mask_resized = TRUE;
      upload_pending (self);
      gtk_gl_area_queue_render (GTK_GL_AREA (self));
      return;
    }

  all = (IncRect) { 0, 0, mask->width, mask->height };
  if (self->mask8 == NULL || self->mask_width != mask->width ||
      self->mask_height != mask->height)
    {
      g_free (self->mask8);
      self->mask8 = g_malloc ((gsize) mask->width * mask->height);
      self->mask_width = mask->width;
      self->mask_height = mask->height;
      self->mask_resized = TRUE;
      rect = &all;
    }
  else if (rect == NULL)
    rect = &all;
  if (inc_rect_is_empty (rect))
    return;

  for (int y = rect->y; y < rect->y + rect->height; y++)
    {
      const float *src = mask->data + (gsize) y * mask->width;
      guint8 *dst = self->mask8 + (gsize) y * mask->width;

      for (int x = rect->x; x < rect->x + rect->width; x++)
        dst[x] = mask_byte (src[x]);
    }
  inc_rect_union (&self->mask_dirty, rect);
  upload_pending (self);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
inc_canvas_set_painting (IncCanvas *self,
                         gboolean   painting)
{
  g_return_if_fail (INC_IS_CANVAS (self));

  painting = !!painting;
  if (self->painting == painting)
    return;
  if (!painting)
    inc_canvas_paint_end (self);
  self->painting = painting;
  update_cursor (self);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAINTING]);
}

gboolean
inc_canvas_get_painting (IncCanvas *self)
{
  g_return_val_if_fail (INC_IS_CANVAS (self), FALSE);

  return self->painting;
}

static void
motion_cb (IncCanvas                *self,
           double                    x,
           double                    y,
           GtkEventControllerMotion *motion)
{
  self->pointer_x = x;
  self->pointer_y = y;
  self->pointer_inside = TRUE;
  if (self->painting)
    gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

static gboolean
scroll_cb (IncCanvas                *self,
           double                    dx,
           double                    dy,
           GtkEventControllerScroll *scroll)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (scroll));
  /* Wheel clicks are whole units; touchpads report pixels. */
  double unit = gtk_event_controller_scroll_get_unit (scroll) == GDK_SCROLL_UNIT_WHEEL ? 48 : 1;

  if (state & GDK_CONTROL_MASK)
    {
      if (dy != 0)
        zoom_at (self, inc_canvas_get_zoom (self) * pow (ZOOM_STEP, -dy),
                 self->pointer_x, self->pointer_y);
      return TRUE;
    }
  if (state & GDK_SHIFT_MASK && dx == 0)
    {
      dx = dy;
      dy = 0;
    }
  inc_canvas_pan (self, -dx * unit, -dy * unit);
  return TRUE;
}

static void
inc_canvas_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  IncCanvas *self = INC_CANVAS (object);

  switch (prop_id)
    {
    case PROP_ZOOM:
      g_value_set_double (value, inc_canvas_get_zoom (self));
      break;
    case PROP_FIT:
      g_value_set_boolean (value, self->fit);
      break;
    case PROP_SHOW_ORIGINAL:
      g_value_set_boolean (value, self->show_original);
      break;
    case PROP_SHOW_MASK:
      g_value_set_boolean (value, self->show_mask);
      break;
    case PROP_MASK_OPACITY:
      g_value_set_double (value, self->mask_opacity);
      break;
    case PROP_PAINTING:
      g_value_set_boolean (value, self->painting);
      break;
    case PROP_BRUSH_SIZE:
      g_value_set_double (value, self->brush_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inc_canvas_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  IncCanvas *self = INC_CANVAS (object);

  switch (prop_id)
    {
    case PROP_ZOOM:
      inc_canvas_zoom_to (self, g_value_get_double (value));
      break;
    case PROP_FIT:
      if (g_value_get_boolean (value))
        inc_canvas_zoom_fit (self);
      else
        inc_canvas_zoom_to (self, inc_canvas_get_zoom (self));
      break;
    case PROP_SHOW_ORIGINAL:
      inc_canvas_set_show_original (self, g_value_get_boolean (value));
      break;
    case PROP_SHOW_MASK:
      self->show_mask = g_value_get_boolean (value);
      gtk_gl_area_queue_render (GTK_GL_AREA (self));
      break;
    case PROP_MASK_OPACITY:
      self->mask_opacity = g_value_get_double (value);
      gtk_gl_area_queue_render (GTK_GL_AREA (self));
      break;
    case PROP_PAINTING:
      inc_canvas_set_painting (self, g_value_get_boolean (value));
      break;
    case PROP_BRUSH_SIZE:
      self->brush_size = g_value_get_double (value);
      if (self->painting)
        gtk_gl_area_queue_render (GTK_GL_AREA (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inc_canvas_finalize (GObject *object)
{
  IncCanvas *self = INC_CANVAS (object);

  g_clear_handle_id (&self->notify_zoom_id, g_source_remove);
  for (guint i = 0; i < N_IMAGES; i++)
    g_clear_pointer (&self->images[i].rgba, g_bytes_unref);
  g_free (self->mask8);

  G_OBJECT_CLASS (inc_canvas_parent_class)->finalize (object);
}

static void
inc_canvas_class_init (IncCanvasClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkGLAreaClass *area_class = GTK_GL_AREA_CLASS (klass);

  object_class->finalize = inc_canvas_finalize;
  object_class->get_property = inc_canvas_get_property;
  object_class->set_property = inc_canvas_set_property;

  widget_class->realize = inc_canvas_realize;
  widget_class->unrealize = inc_canvas_unrealize;

  widget_class->size_allocate = inc_canvas_size_allocate;

  area_class->render = inc_canvas_render;

  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, ZOOM_MIN, ZOOM_MAX, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FIT] =
    g_param_spec_boolean ("fit", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_ORIGINAL] =
    g_param_spec_boolean ("show-original", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_MASK] =
    g_param_spec_boolean ("show-mask", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MASK_OPACITY] =
    g_param_spec_double ("mask-opacity", NULL, NULL, 0.0, 1.0, 0.5,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAINTING] =
    g_param_spec_boolean ("painting", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BRUSH_SIZE] =
    g_param_spec_double ("brush-size", NULL, NULL, 0.0, 100000.0, 40.0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* In image pixels; erase: Ctrl was held when the stroke began. */
  signals[STROKE_BEGIN] = g_signal_new ("stroke-begin", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 3,
                                        G_TYPE_DOUBLE, G_TYPE_DOUBLE, G_TYPE_BOOLEAN);
  signals[STROKE_MOTION] = g_signal_new ("stroke-motion", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
  signals[STROKE_END] = g_signal_new ("stroke-end", G_TYPE_FROM_CLASS (klass),
                                      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                      G_TYPE_NONE, 0);

  gtk_widget_class_set_css_name (widget_class, "inc-canvas");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
inc_canvas_init (IncCanvas *self)
{
  GtkGesture *drag;
  GtkEventController *controller;

  self->zoom = 1.0;
  self->fit = TRUE;
  self->show_mask = TRUE;
  self->mask_opacity = 0.5;
  self->brush_size = 40.0;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grab");
  gtk_gl_area_set_has_depth_buffer (GTK_GL_AREA (self), FALSE);
  gtk_gl_area_set_has_stencil_buffer (GTK_GL_AREA (self), FALSE);

  drag = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), 0);
  g_signal_connect_swapped (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect_swapped (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  g_signal_connect_swapped (drag, "drag-end", G_CALLBACK (drag_end_cb), self);
  g_signal_connect_swapped (drag, "cancel", G_CALLBACK (drag_cancel_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect_swapped (controller, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect_swapped (controller, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect_swapped (controller, "enter", G_CALLBACK (enter_cb), self);
  g_signal_connect_swapped (controller, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

GtkWidget *
inc_canvas_new (void)
{
  return g_object_new (INC_TYPE_CANVAS, NULL);
}
