/* model.c: the fused graph, its file format (see model.h) and shape rules. */
#include "core/model.h"
#include "core/model-import.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#define MAGIC "INCMODL1"
#define MAGIC_LEN 8
#define PREAMBLE_LEN 12 /* magic + header length */
/* A header far larger than any real graph means a corrupt length field. */
#define MAX_HEADER_LEN (64u << 20)

G_DEFINE_QUARK (inc-model-error-quark, inc_model_error)

static const char *op_names[] = {
  [INC_OP_INPUT] = "input",
  [INC_OP_CONV] = "conv",
  [INC_OP_MAXPOOL] = "maxpool",
  [INC_OP_AVGPOOL] = "avgpool",
  [INC_OP_CONCAT] = "concat",
};

void
inc_model_free (IncModel *model)
{
  if (model == NULL)
    return;
  for (guint i = 0; i < model->n_nodes; i++)
    {
      g_free (model->nodes[i].name);
      g_free (model->nodes[i].inputs);
    }
  g_free (model->nodes);
  g_free (model->weights);
  g_free (model->source);
  g_free (model);
}

int
inc_model_find (const IncModel *model,
                const char     *name)
{
  g_return_val_if_fail (model != NULL, -1);
  g_return_val_if_fail (name != NULL, -1);

  for (guint i = 0; i < model->n_nodes; i++)
    if (g_strcmp0 (model->nodes[i].name, name) == 0)
      return (int) i;
  return -1;
}

static gboolean
has_window (const IncNode *node)
{
  return node->op == INC_OP_CONV || node->op == INC_OP_MAXPOOL ||
         node->op == INC_OP_AVGPOOL;
}

static int
out_dim (int in, int k, int s, gboolean same)
{
  if (same)
    return (in + s - 1) / s;
  return in >= k ? (in - k) / s + 1 : 0;
}

static int
pad_before (int in, int k, int s, gboolean same)
{
  if (!same)
    return 0;
  int out = out_dim (in, k, s, TRUE);
  int total = MAX ((out - 1) * s + k - in, 0);
  return total / 2;
}

void
inc_node_output_size (const IncNode *node,
                      int            in_h,
                      int            in_w,
                      int           *out_h,
                      int           *out_w)
{
  g_return_if_fail (node != NULL);

  int h = in_h, w = in_w;
  if (has_window (node))
    {
      h = out_dim (in_h, node->kh, node->sh, node->same);
      w = out_dim (in_w, node->kw, node->sw, node->same);
    }
  if (out_h)
    *out_h = h;
  if (out_w)
    *out_w = w;
}

void
inc_node_padding (const IncNode *node,
                  int            in_h,
                  int            in_w,
                  int           *pad_top,
                  int           *pad_left)
{
  g_return_if_fail (node != NULL);

  int t = 0, l = 0;
  if (has_window (node))
    {
      t = pad_before (in_h, node->kh, node->sh, node->same);
      l = pad_before (in_w, node->kw, node->sw, node->same);
    }
  if (pad_top)
    *pad_top = t;
  if (pad_left)
    *pad_left = l;
}

char *
inc_model_default_path (void)
{
  const char *env = g_getenv ("INCEPTIONIST_MODEL");
  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "inceptionist", "models",
                           "inception_v3.incmodel", NULL);
}

gboolean
_inc_model_fail (GError **error, IncModelError code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, INC_MODEL_ERROR, code, msg);
  return FALSE;
}

/* ---- loading ---------------------------------------------------------- */

static gboolean
corrupt (GError    **error,
         const char *path,
         const char *fmt,
         ...) G_GNUC_PRINTF (3, 4);

static gboolean
corrupt (GError    **error,
         const char *path,
         const char *fmt,
         ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
               "%s: not a valid model file: %s", path, msg);
  return FALSE;
}

/* Reads a non-negative integer member no larger than max. */
static gboolean
get_int (JsonObject *obj,
         const char *member,
         gint64      min,
         gint64      max,
         gint64     *out)
{
  JsonNode *n = json_object_get_member (obj, member);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) ||
      json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  gint64 v = json_node_get_int (n);
  if (v < min || v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

static gboolean
get_pair (JsonObject *obj,
          const char *member,
          int        *a,
          int        *b)
{
  JsonNode *n = json_object_get_member (obj, member);
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    return FALSE;
  JsonArray *arr = json_node_get_array (n);
  if (json_array_get_length (arr) != 2)
    return FALSE;
  gint64 v[2];
  for (guint i = 0; i < 2; i++)
    {
      JsonNode *e = json_array_get_element (arr, i);
      if (!JSON_NODE_HOLDS_VALUE (e) ||
          json_node_get_value_type (e) != G_TYPE_INT64)
        return FALSE;
      v[i] = json_node_get_int (e);
      if (v[i] < 1 || v[i] > 4096)
        return FALSE;
    }
  *a = (int) v[0];
  *b = (int) v[1];
  return TRUE;
}

static const char *
get_string (JsonObject *obj,
            const char *member)
{
  JsonNode *n = json_object_get_member (obj, member);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) ||
      json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
parse_node (JsonNode   *jnode,
            IncModel   *model,
            guint       index,
            GHashTable *by_name,
            gsize       n_weights,
            const char *path,
            GError    **error)
{
  IncNode *node = &model->nodes[index];

  if (!JSON_NODE_HOLDS_OBJECT (jnode))
    return corrupt (error, path, "node %u is not an object", index);
  JsonObject *obj = json_node_get_object (jnode);

  const char *name = get_string (obj, "name");
  if (name == NULL || *name == '\0')
    return corrupt (error, path, "node %u has no name", index);
  if (g_hash_table_contains (by_name, name))
    return corrupt (error, path, "node name '%s' is repeated", name);
  node->name = g_strdup (name);

  const char *op = get_string (obj, "op");
  guint k;
  for (k = 0; k < G_N_ELEMENTS (op_names); k++)
    if (g_strcmp0 (op, op_names[k]) == 0)
      break;
  if (k == G_N_ELEMENTS (op_names))
    return corrupt (error, path, "node '%s' has an unknown op", name);
  node->op = k;

  JsonNode *in = json_object_get_member (obj, "inputs");
  if (in == NULL || !JSON_NODE_HOLDS_ARRAY (in))
    return corrupt (error, path, "node '%s' has no inputs list", name);
  JsonArray *inputs = json_node_get_array (in);
  node->n_inputs = json_array_get_length (inputs);
  node->inputs = g_new0 (guint, MAX (node->n_inputs, 1));
  for (guint i = 0; i < node->n_inputs; i++)
    {
      JsonNode *e = json_array_get_element (inputs, i);
      const char *iname = NULL;
      if (JSON_NODE_HOLDS_VALUE (e) &&
          json_node_get_value_type (e) == G_TYPE_STRING)
        iname = json_node_get_string (e);
      gpointer idx;
      if (iname == NULL ||
          !g_hash_table_lookup_extended (by_name, iname, NULL, &idx))
        return corrupt (error, path,
                        "node '%s' uses an input that is not an earlier node",
                        name);
      node->inputs[i] = GPOINTER_TO_UINT (idx);
    }

  guint want_inputs = node->op == INC_OP_INPUT ? 0 : 1;
  if (node->op == INC_OP_CONCAT ? node->n_inputs < 1
                                : node->n_inputs != want_inputs)
    return corrupt (error, path, "node '%s' has %u inputs", name,
                    node->n_inputs);

  if (node->op == INC_OP_INPUT)
    {
      gint64 c = 3;
      if (json_object_has_member (obj, "channels") &&
          !get_int (obj, "channels", 1, 65536, &c))
        return corrupt (error, path, "input '%s' has bad channels", name);
      node->cin = node->cout = (int) c;
    }
  else if (node->op == INC_OP_CONCAT)
    {
      gint64 sum = 0;
      for (guint i = 0; i < node->n_inputs; i++)
        sum += model->nodes[node->inputs[i]].cout;
      if (sum > 1 << 20)
        return corrupt (error, path, "concat '%s' is too wide", name);
      node->cin = node->cout = (int) sum;
    }
  else
    {
      const char *pad = get_string (obj, "padding");
      if (!get_pair (obj, "kernel", &node->kh, &node->kw) ||
          !get_pair (obj, "strides", &node->sh, &node->sw) ||
          (g_strcmp0 (pad, "same") != 0 && g_strcmp0 (pad, "valid") != 0))
        return corrupt (error, path, "node '%s' has a bad window", name);
      node->same = g_str_equal (pad, "same");
      node->cin = model->nodes[node->inputs[0]].cout;
      node->cout = node->cin;
    }

  if (node->op == INC_OP_CONV)
    {
      gint64 filters, offset;
      JsonNode *relu = json_object_get_member (obj, "relu");
      if (!get_int (obj, "filters", 1, 65536, &filters) ||
          !get_int (obj, "weight_offset", 0, G_MAXINT64, &offset) ||
          relu == NULL || !JSON_NODE_HOLDS_VALUE (relu) ||
          json_node_get_value_type (relu) != G_TYPE_BOOLEAN)
        return corrupt (error, path, "conv '%s' lacks filters, relu or "
                        "weight_offset", name);
      node->cout = (int) filters;
      node->relu = json_node_get_boolean (relu);
      node->weight_offset = (gsize) offset;
      guint64 count = (guint64) node->kh * node->kw * node->cin * node->cout +
                      (guint64) node->cout;
      if ((guint64) offset > n_weights || count > n_weights - (guint64) offset)
        return corrupt (error, path, "conv '%s' weights lie outside the file",
                        name);
    }

  g_hash_table_insert (by_name, node->name, GUINT_TO_POINTER (index));
  return TRUE;
}

static gsize
header_end (gsize json_len)
{
  return (PREAMBLE_LEN + json_len + 15) & ~(gsize) 15;
}

IncModel *
inc_model_load (const char *path,
                GError    **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GError) local = NULL;
  mapped = g_mapped_file_new (path, FALSE, &local);
  if (mapped == NULL)
    {
      int code = g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                   ? INC_MODEL_ERROR_MISSING : INC_MODEL_ERROR_IO;
      g_set_error (error, INC_MODEL_ERROR, code, "%s", local->message);
      return NULL;
    }

  const guint8 *data = (const guint8 *) g_mapped_file_get_contents (mapped);
  gsize size = g_mapped_file_get_length (mapped);
  if (size < PREAMBLE_LEN || memcmp (data, MAGIC, MAGIC_LEN) != 0)
    return corrupt (error, path, "wrong magic"), NULL;

  guint32 json_len;
  memcpy (&json_len, data + MAGIC_LEN, 4);
  json_len = GUINT32_FROM_LE (json_len);
  if (json_len == 0 || json_len > MAX_HEADER_LEN ||
      json_len > size - PREAMBLE_LEN)
    return corrupt (error, path, "truncated header"), NULL;

  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, (const char *) data + PREAMBLE_LEN,
                                   json_len, &local))
    return corrupt (error, path, "bad header: %s", local->message), NULL;

  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return corrupt (error, path, "header is not an object"), NULL;
  JsonObject *hdr = json_node_get_object (root);

  gint64 format, n_weights;
  if (!get_int (hdr, "format", 0, G_MAXINT64, &format) || format != 1)
    return corrupt (error, path, "unknown format version"), NULL;
  if (!get_int (hdr, "n_weights", 0, G_MAXINT64 / 8, &n_weights))
    return corrupt (error, path, "no n_weights"), NULL;

  gsize start = header_end (json_len);
  if (start > size || (guint64) (size - start) != (guint64) n_weights * 4)
    return corrupt (error, path, "expected %" G_GINT64_FORMAT
                    " weights, the file is %s", n_weights,
                    start > size || size - start < (guint64) n_weights * 4
                      ? "truncated" : "too long"), NULL;

  JsonNode *nodes = json_object_get_member (hdr, "nodes");
  if (nodes == NULL || !JSON_NODE_HOLDS_ARRAY (nodes) ||
      json_array_get_length (json_node_get_array (nodes)) == 0)
    return corrupt (error, path, "no nodes"), NULL;
  JsonArray *arr = json_node_get_array (nodes);

  g_autoptr(IncModel) model = g_new0 (IncModel, 1);
  const char *source = get_string (hdr, "source");
  model->source = g_strdup (source ? source : "");
  model->n_nodes = json_array_get_length (arr);
  model->nodes = g_new0 (IncNode, model->n_nodes);

  g_autoptr(GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < model->n_nodes; i++)
    if (!parse_node (json_array_get_element (arr, i), model, i, by_name,
                     (gsize) n_weights, path, error))
      return NULL;

  model->n_weights = (gsize) n_weights;
  model->weights = g_try_new (float, MAX (model->n_weights, 1));
  if (model->weights == NULL)
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_IO,
                   "%s: not enough memory for %zu weights", path,
                   model->n_weights);
      return NULL;
    }
  memcpy (model->weights, data + start, model->n_weights * 4);
#if G_BYTE_ORDER == G_BIG_ENDIAN
  for (gsize i = 0; i < model->n_weights; i++)
    {
      guint32 u;
      memcpy (&u, &model->weights[i], 4);
      u = GUINT32_FROM_LE (u);
      memcpy (&model->weights[i], &u, 4);
    }
#endif
  return g_steal_pointer (&model);
}

/* ---- saving ----------------------------------------------------------- */

static char *
header_json (const IncModel *model,
             gsize          *len)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, model->source ? model->source : "");
  json_builder_set_member_name (b, "nodes");
  json_builder_begin_array (b);
  for (guint i = 0; i < model->n_nodes; i++)
    {
      const IncNode *n = &model->nodes[i];
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, n->name);
      json_builder_set_member_name (b, "op");
      json_builder_add_string_value (b, op_names[n->op]);
      json_builder_set_member_name (b, "inputs");
      json_builder_begin_array (b);
      for (guint j = 0; j < n->n_inputs; j++)
        json_builder_add_string_value (b, model->nodes[n->inputs[j]].name);
      json_builder_end_array (b);
      if (n->op == INC_OP_INPUT)
        {
          json_builder_set_member_name (b, "channels");
          json_builder_add_int_value (b, n->cout);
        }
      if (has_window (n))
        {
          json_builder_set_member_name (b, "kernel");
          json_builder_begin_array (b);
          json_builder_add_int_value (b, n->kh);
          json_builder_add_int_value (b, n->kw);
          json_builder_end_array (b);
          json_builder_set_member_name (b, "strides");
          json_builder_begin_array (b);
          json_builder_add_int_value (b, n->sh);
          json_builder_add_int_value (b, n->sw);
          json_builder_end_array (b);
          json_builder_set_member_name (b, "padding");
          json_builder_add_string_value (b, n->same ? "same" : "valid");
        }
      if (n->op == INC_OP_CONV)
        {
          json_builder_set_member_name (b, "filters");
          json_builder_add_int_value (b, n->cout);
          json_builder_set_member_name (b, "relu");
          json_builder_add_boolean_value (b, n->relu);
          json_builder_set_member_name (b, "weight_offset");
          json_builder_add_int_value (b, (gint64) n->weight_offset);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "n_weights");
  json_builder_add_int_value (b, (gint64) model->n_weights);
  json_builder_end_object (b);

  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, len);
}

/* Checks what load would check, so a saved file always loads again. */
static gboolean
validate (const IncModel *model,
          GError        **error)
{
  for (guint i = 0; i < model->n_nodes; i++)
    {
      const IncNode *n = &model->nodes[i];
      gboolean ok = n->name != NULL && n->op <= INC_OP_CONCAT;
      for (guint j = 0; ok && j < n->n_inputs; j++)
        ok = n->inputs[j] < i;
      if (ok && n->op == INC_OP_CONV)
        {
          guint64 count = (guint64) n->kh * n->kw * n->cin * n->cout + n->cout;
          ok = n->weight_offset <= model->n_weights &&
               count <= model->n_weights - n->weight_offset;
        }
      if (!ok)
        {
          g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                       "node %u (%s) is inconsistent", i,
                       n->name ? n->name : "unnamed");
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
write_all (int          fd,
           const void  *buf,
           gsize        len)
{
  const guint8 *p = buf;
  while (len > 0)
    {
      gssize w = write (fd, p, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return FALSE;
      p += w;
      len -= (gsize) w;
    }
  return TRUE;
}

static gboolean
write_weights (int             fd,
               const IncModel *model)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  return write_all (fd, model->weights, model->n_weights * 4);
#else
  guint32 chunk[4096];
  for (gsize i = 0; i < model->n_weights; i += G_N_ELEMENTS (chunk))
    {
      gsize n = MIN (G_N_ELEMENTS (chunk), model->n_weights - i);
      memcpy (chunk, model->weights + i, n * 4);
      for (gsize j = 0; j < n; j++)
        chunk[j] = GUINT32_TO_LE (chunk[j]);
      if (!write_all (fd, chunk, n * 4))
        return FALSE;
    }
  return TRUE;
#endif
}

gboolean
inc_model_save (const IncModel *model,
                const char     *path,
                GError        **error)
{
  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!validate (model, error))
    return FALSE;

  gsize json_len;
  g_autofree char *json = header_json (model, &json_len);
  if (json_len > MAX_HEADER_LEN)
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_UNSUPPORTED,
                   "the graph is too large for the model file");
      return FALSE;
    }

  guint8 pre[PREAMBLE_LEN + 16] = { 0 };
  memcpy (pre, MAGIC, MAGIC_LEN);
  guint32 le = GUINT32_TO_LE ((guint32) json_len);
  memcpy (pre + MAGIC_LEN, &le, 4);
  gsize pad = header_end (json_len) - PREAMBLE_LEN - json_len;

  /* Written beside the target and renamed over it, so readers never see a
   * half-written model. */
  g_autofree char *tmp = g_strdup_printf ("%s.XXXXXX", path);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_IO,
                   "cannot create a file beside %s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }

  gboolean ok = write_all (fd, pre, PREAMBLE_LEN) &&
                write_all (fd, json, json_len) &&
                write_all (fd, pre + PREAMBLE_LEN, pad) &&
                write_weights (fd, model) &&
                fsync (fd) == 0;
  int saved = errno;
  if (close (fd) != 0 && ok)
    {
      ok = FALSE;
      saved = errno;
    }
  if (ok && g_rename (tmp, path) != 0)
    {
      ok = FALSE;
      saved = errno;
    }
  if (!ok)
    {
      g_unlink (tmp);
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_IO,
                   "cannot write %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
