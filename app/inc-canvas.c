/* inc-canvas.c: a GtkGLArea that draws the current image as one textured
 * quad, with zoom, pan and a held key to compare with the original.
 *
 * GL objects live from realize to unrealize; textures are uploaded on the
 * main thread when a finished frame arrives; render only draws. */
#include "app/inc-canvas.h"

#include <epoxy/gl.h>
#include <math.h>

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

  CanvasImage  images[N_IMAGES];
  gboolean     show_original;

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
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *vertex_source =
  "in vec2 position;\n"
  "out vec2 uv;\n"
  "uniform vec4 rect;\n"
  "void main () {\n"
  "  uv = position;\n"
  "  gl_Position = vec4 (mix (rect.x, rect.z, position.x),\n"
  "                      mix (rect.y, rect.w, position.y), 0.0, 1.0);\n"
  "}\n";

static const char *fragment_source =
  "in vec2 uv;\n"
  "out vec4 color;\n"
  "uniform sampler2D image;\n"
  "void main () {\n"
  "  color = vec4 (texture (image, uv).rgb, 1.0);\n"
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
      if (self->vbo != 0)
        glDeleteBuffers (1, &self->vbo);
      if (self->vao != 0)
        glDeleteVertexArrays (1, &self->vao);
      if (self->program != 0)
        glDeleteProgram (self->program);
    }
  memset (self->textures, 0, sizeof self->textures);
  self->vbo = self->vao = self->program = 0;
  for (guint i = 0; i < N_IMAGES; i++)
    self->images[i].uploaded = FALSE;

  GTK_WIDGET_CLASS (inc_canvas_parent_class)->unrealize (widget);
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

  glClearColor (0.188f, 0.188f, 0.188f, 1.0f);
  glClear (GL_COLOR_BUFFER_BIT);

  if (self->program == 0 || !image->uploaded || ww <= 0 || wh <= 0)
    return TRUE;

  zoom = inc_canvas_get_zoom (self);
  dw = image->width * zoom;
  dh = image->height * zoom;
  left = ww / 2 + self->off_x - dw / 2;
  top = wh / 2 + self->off_y - dh / 2;
  /* Whole device pixels at 100% keep the image crisp. */
  if (!self->fit)
    {
      left = round (left);
      top = round (top);
    }

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
  glBindVertexArray (self->vao);
  glDrawArrays (GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray (0);
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
drag_begin_cb (IncCanvas      *self,
               double          x,
               double          y,
               GtkGestureDrag *gesture)
{
  self->drag_off_x = self->off_x;
  self->drag_off_y = self->off_y;
  gtk_widget_grab_focus (GTK_WIDGET (self));
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grabbing");
}

static void
drag_update_cb (IncCanvas      *self,
                double          dx,
                double          dy,
                GtkGestureDrag *gesture)
{
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
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grab");
}

static void
motion_cb (IncCanvas                *self,
           double                    x,
           double                    y,
           GtkEventControllerMotion *motion)
{
  self->pointer_x = x;
  self->pointer_y = y;
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
  g_object_class_install_properties (object_class, N_PROPS, properties);

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

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grab");
  gtk_gl_area_set_has_depth_buffer (GTK_GL_AREA (self), FALSE);
  gtk_gl_area_set_has_stencil_buffer (GTK_GL_AREA (self), FALSE);

  drag = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), 0);
  g_signal_connect_swapped (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect_swapped (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  g_signal_connect_swapped (drag, "drag-end", G_CALLBACK (drag_end_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect_swapped (controller, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect_swapped (controller, "motion", G_CALLBACK (motion_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

GtkWidget *
inc_canvas_new (void)
{
  return g_object_new (INC_TYPE_CANVAS, NULL);
}
