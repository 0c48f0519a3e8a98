/* model-tfjs.c: tfjs layers models (model.json + binary weight shards).
 *
 * A weightsManifest is a list of groups; each group's shard files are
 * concatenated and its tensors lie back to back in that buffer, in manifest
 * order. Tensors are float32/int32, or quantised: uint8/uint16 with an affine
 * min + scale * q, or float16.
 */
#include "core/model-import.h"

#include <string.h>

static void
tensor_free (gpointer p)
{
  IncTensor *t = p;
  g_free (t->name);
  g_free (t->data);
  g_free (t);
}

GHashTable *
_inc_tensor_table_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL, tensor_free);
}

#define manifest_error(error, format, ...) \
  _inc_model_fail ((error), INC_MODEL_ERROR_CORRUPT, "bad weights manifest: " format, ##__VA_ARGS__)

static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1f;
  guint32 mant = h & 0x3ff;
  guint32 bits;

  if (exp == 0x1f)
    bits = sign | 0x7f800000u | (mant << 13);
  else if (exp != 0)
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  else if (mant == 0)
    bits = sign;
  else
    {
      /* Subnormal half: renormalise. */
      exp = 113;
      while ((mant & 0x400) == 0)
        {
          mant <<= 1;
          exp--;
        }
      bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
    }
  float f;
  memcpy (&f, &bits, 4);
  return f;
}

typedef enum { ENC_F32, ENC_I32, ENC_U8, ENC_U16, ENC_F16 } Encoding;

static const gsize enc_bytes[] = { 4, 4, 1, 2, 2 };

static gboolean
get_number (JsonObject *obj,
            const char *member,
            double     *out)
{
  JsonNode *n = json_object_get_member (obj, member);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  GType t = json_node_get_value_type (n);
  if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_double (n);
  return TRUE;
}

/* Parses one manifest entry's name, shape and encoding. */
static IncTensor *
parse_spec (JsonNode  *node,
            Encoding  *enc,
            double    *qmin,
            double    *qscale,
            GError   **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return manifest_error (error, "a weight entry is not an object"), NULL;
  JsonObject *obj = json_node_get_object (node);
  const char *name = _inc_json_string (obj, "name", NULL);
  const char *dtype = _inc_json_string (obj, "dtype", "float32");
  JsonNode *shape_node = json_object_get_member (obj, "shape");
  if (name == NULL || shape_node == NULL || !JSON_NODE_HOLDS_ARRAY (shape_node))
    return manifest_error (error, "a weight entry lacks a name or shape"), NULL;

  JsonArray *shape = json_node_get_array (shape_node);
  guint rank = json_array_get_length (shape);
  if (rank > 4)
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_UNSUPPORTED,
                   "weight %s has rank %u; at most 4 is supported", name, rank);
      return NULL;
    }
  g_autofree IncTensor *t = g_new0 (IncTensor, 1);
  t->rank = (int) rank;
  t->n = 1;
  for (guint i = 0; i < rank; i++)
    {
      JsonNode *d = json_array_get_element (shape, i);
      if (!JSON_NODE_HOLDS_VALUE (d) ||
          json_node_get_value_type (d) != G_TYPE_INT64 ||
          json_node_get_int (d) < 0 || json_node_get_int (d) > (1 << 24))
        return manifest_error (error, "weight %s has a bad shape", name), NULL;
      t->shape[i] = (int) json_node_get_int (d);
      t->n *= (gsize) t->shape[i];
      if (t->n > ((gsize) 1 << 32))
        return manifest_error (error, "weight %s is too large", name), NULL;
    }

  if (g_strcmp0 (dtype, "float32") == 0)
    *enc = ENC_F32;
  else if (g_strcmp0 (dtype, "int32") == 0)
    *enc = ENC_I32;
  else
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_UNSUPPORTED,
                   "weight %s has unsupported dtype %s", name, dtype);
      return NULL;
    }

  JsonNode *qnode = json_object_get_member (obj, "quantization");
  if (qnode != NULL && JSON_NODE_HOLDS_OBJECT (qnode))
    {
      JsonObject *q = json_node_get_object (qnode);
      const char *qdtype = _inc_json_string (q, "dtype", "");
      if (g_strcmp0 (qdtype, "uint8") == 0)
        *enc = ENC_U8;
      else if (g_strcmp0 (qdtype, "uint16") == 0)
        *enc = ENC_U16;
      else if (g_strcmp0 (qdtype, "float16") == 0)
        *enc = ENC_F16;
      else
        {
          g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_UNSUPPORTED,
                       "weight %s has unsupported quantization '%s'", name,
                       qdtype);
          return NULL;
        }
      if ((*enc == ENC_U8 || *enc == ENC_U16) &&
          (!get_number (q, "min", qmin) || !get_number (q, "scale", qscale)))
        return manifest_error (error, "weight %s lacks min/scale", name), NULL;
    }
  t->name = g_strdup (name);
  return g_steal_pointer (&t);
}

static void
decode (IncTensor    *t,
        Encoding      enc,
        double        qmin,
        double        qscale,
        const guint8 *p)
{
  for (gsize i = 0; i < t->n; i++)
    {
      switch (enc)
        {
        case ENC_F32:
          {
            guint32 u;
            memcpy (&u, p + 4 * i, 4);
            u = GUINT32_FROM_LE (u);
            memcpy (&t->data[i], &u, 4);
            break;
          }
        case ENC_I32:
          {
            gint32 v;
            memcpy (&v, p + 4 * i, 4);
            t->data[i] = (float) GINT32_FROM_LE (v);
            break;
          }
        case ENC_U8:
          t->data[i] = (float) (qmin + qscale * p[i]);
          break;
        case ENC_U16:
          {
            guint16 v;
            memcpy (&v, p + 2 * i, 2);
            t->data[i] = (float) (qmin + qscale * GUINT16_FROM_LE (v));
            break;
          }
        case ENC_F16:
          {
            guint16 v;
            memcpy (&v, p + 2 * i, 2);
            t->data[i] = half_to_float (GUINT16_FROM_LE (v));
            break;
          }
        }
    }
}

static gboolean
read_group (JsonObject     *group,
            IncShardReader  read_shard,
            gpointer        user_data,
            GHashTable     *table,
            GError        **error)
{
  JsonNode *paths = json_object_get_member (group, "paths");
  JsonNode *weights = json_object_get_member (group, "weights");
  if (paths == NULL || !JSON_NODE_HOLDS_ARRAY (paths) ||
      weights == NULL || !JSON_NODE_HOLDS_ARRAY (weights))
    return manifest_error (error, "a group lacks paths or weights");

  g_autoptr(GByteArray) buf = g_byte_array_new ();
  JsonArray *parr = json_node_get_array (paths);
  for (guint i = 0; i < json_array_get_length (parr); i++)
    {
      JsonNode *p = json_array_get_element (parr, i);
      if (!JSON_NODE_HOLDS_VALUE (p) ||
          json_node_get_value_type (p) != G_TYPE_STRING)
        return manifest_error (error, "a shard path is not a string");
      g_autoptr(GBytes) bytes = read_shard (json_node_get_string (p),
                                            user_data, error);
      if (bytes == NULL)
        return FALSE;
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);
      g_byte_array_append (buf, data, (guint) len);
    }

  gsize offset = 0;
  JsonArray *warr = json_node_get_array (weights);
  for (guint i = 0; i < json_array_get_length (warr); i++)
    {
      Encoding enc = ENC_F32;
      double qmin = 0, qscale = 1;
      IncTensor *t = parse_spec (json_array_get_element (warr, i), &enc, &qmin,
                                 &qscale, error);
      if (t == NULL)
        return FALSE;
      if (g_hash_table_contains (table, t->name))
        {
          manifest_error (error, "weight %s appears twice", t->name);
          tensor_free (t);
          return FALSE;
        }
      g_hash_table_insert (table, t->name, t);

      gsize bytes = t->n * enc_bytes[enc];
      if (bytes > buf->len - offset)
        {
          g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                       "the weight shards are too short: %u bytes, but "
                       "weight %s needs bytes %zu..%zu", buf->len, t->name,
                       offset, offset + bytes);
          return FALSE;
        }
      t->data = g_new (float, MAX (t->n, 1));
      decode (t, enc, qmin, qscale, buf->data + offset);
      offset += bytes;
    }
  if (offset != buf->len)
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                   "the weight shards hold %u bytes, but the manifest "
                   "describes %zu", buf->len, offset);
      return FALSE;
    }
  return TRUE;
}

GHashTable *
_inc_tfjs_read_weights (JsonNode       *manifest,
                        IncShardReader  read_shard,
                        gpointer        user_data,
                        GError        **error)
{
  if (manifest == NULL || !JSON_NODE_HOLDS_ARRAY (manifest))
    return manifest_error (error, "weightsManifest is not a list"), NULL;

  g_autoptr(GHashTable) table = _inc_tensor_table_new ();
  JsonArray *groups = json_node_get_array (manifest);
  for (guint i = 0; i < json_array_get_length (groups); i++)
    {
      JsonNode *g = json_array_get_element (groups, i);
      if (!JSON_NODE_HOLDS_OBJECT (g))
        return manifest_error (error, "a group is not an object"), NULL;
      if (!read_group (json_node_get_object (g), read_shard, user_data, table,
                       error))
        return NULL;
    }
  return g_steal_pointer (&table);
}

/* ---- model.json ------------------------------------------------------- */

gboolean
_inc_tfjs_check_format (JsonObject *root,
                        const char *path,
                        GError    **error)
{
  const char *format = _inc_json_string (root, "format", NULL);
  if (json_object_has_member (root, "format") &&
      g_strcmp0 (format, "layers-model") != 0)
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_UNSUPPORTED,
                   "%s is a tfjs %s; only layers models can be imported",
                   path, format ? format : "model of unknown format");
      return FALSE;
    }
  return TRUE;
}

static GBytes *
read_bin (const char *manifest_path,
          gpointer    user_data,
          GError    **error)
{
  const char *dir = user_data;

  /* Shards live beside model.json; never follow a path out of there. */
  if (g_path_is_absolute (manifest_path) || strstr (manifest_path, "..") ||
      *manifest_path == '\0')
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                   "weight shard path '%s' leaves the model directory",
                   manifest_path);
      return NULL;
    }
  g_autofree char *file = g_build_filename (dir, manifest_path, NULL);
  g_autoptr(GError) local = NULL;
  char *contents;
  gsize len;
  if (!g_file_get_contents (file, &contents, &len, &local))
    {
      int code = g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                   ? INC_MODEL_ERROR_MISSING : INC_MODEL_ERROR_IO;
      g_set_error (error, INC_MODEL_ERROR, code, "weight shard: %s",
                   local->message);
      return NULL;
    }
  return g_bytes_new_take (contents, len);
}

IncModel *
_inc_tfjs_import (const char *path,
                  GError    **error)
{
  g_autofree char *json_path = g_file_test (path, G_FILE_TEST_IS_DIR)
                                 ? g_build_filename (path, "model.json", NULL)
                                 : g_strdup (path);
  g_autofree char *dir = g_path_get_dirname (json_path);

  if (!g_file_test (json_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_MISSING,
                   "%s does not exist", json_path);
      return NULL;
    }

  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;
  if (!json_parser_load_from_file (parser, json_path, &local))
    {
      int code = local->domain == JSON_PARSER_ERROR ? INC_MODEL_ERROR_CORRUPT
                                                    : INC_MODEL_ERROR_IO;
      g_set_error (error, INC_MODEL_ERROR, code, "%s: %s", json_path,
                   local->message);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                   "%s is not a tfjs model (not a JSON object)", json_path);
      return NULL;
    }
  JsonObject *obj = json_node_get_object (root);
  if (!_inc_tfjs_check_format (obj, json_path, error))
    return NULL;
  JsonNode *topology = json_object_get_member (obj, "modelTopology");
  JsonNode *manifest = json_object_get_member (obj, "weightsManifest");
  if (topology == NULL || manifest == NULL)
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                   "%s lacks modelTopology or weightsManifest", json_path);
      return NULL;
    }

  g_autoptr(GHashTable) tensors = _inc_tfjs_read_weights (manifest, read_bin,
                                                          dir, error);
  if (tensors == NULL)
    return NULL;
  g_autofree char *abs = g_canonicalize_filename (json_path, NULL);
  g_autofree char *source = g_strdup_printf ("tfjs model %s", abs);
  return _inc_keras_build (topology, tensors, source, error);
}
