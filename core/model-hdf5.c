/* model-hdf5.c: Keras HDF5 weights -> tensor table -> fused IncModel.
 *
 * The Keras layout (h5py): the root (or /model_weights in a whole saved
 * model) has a string attribute layer_names; each layer is a group of that
 * name with a string attribute weight_names, whose entries are dataset paths
 * inside the group ("conv2d_1/kernel:0"), in the layer's weight order.
 */
#include "core/model-hdf5.h"

#include <hdf5.h>
#include <string.h>

#include "core/model-import.h"

/* The Debian libhdf5 is not built thread-safe; the studio imports in a
 * worker thread, so every use goes through this lock. */
static GMutex hdf5_lock;

#define corrupt(error, ...) \
  _inc_model_fail ((error), INC_MODEL_ERROR_CORRUPT, __VA_ARGS__)

gboolean
inc_hdf5_is_hdf5 (const char *path)
{
  static const guchar signature[8] = { 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n' };
  guchar head[8] = { 0 };
  FILE *f = fopen (path, "rb");
  gboolean yes = f != NULL && fread (head, 1, 8, f) == 8 &&
                 memcmp (head, signature, 8) == 0;
  if (f)
    fclose (f);
  return yes;
}

/* ---- HDF5 reading (called with hdf5_lock held) ------------------------- */

static void
close_id (hid_t *id)
{
  if (*id < 0)
    return;
  switch (H5Iget_type (*id))
    {
    case H5I_FILE:
      H5Fclose (*id);
      break;
    case H5I_GROUP:
      H5Gclose (*id);
      break;
    case H5I_DATASET:
      H5Dclose (*id);
      break;
    case H5I_ATTR:
      H5Aclose (*id);
      break;
    case H5I_DATATYPE:
      H5Tclose (*id);
      break;
    case H5I_DATASPACE:
      H5Sclose (*id);
      break;
    default:
      break;
    }
  *id = -1;
}

#define H5_AUTO __attribute__ ((cleanup (close_id)))

/* A string attribute (fixed or variable length, scalar or 1-D) as an array
 * of strings; a missing attribute is an error. */
static GPtrArray *
read_strings (hid_t       obj,
              const char *attr,
              const char *where,
              GError    **error)
{
  if (H5Aexists (obj, attr) <= 0)
    {
      corrupt (error, "%s has no %s attribute (not a Keras weights file?)",
               where, attr);
      return NULL;
    }
  H5_AUTO hid_t a = H5Aopen (obj, attr, H5P_DEFAULT);
  H5_AUTO hid_t type = a >= 0 ? H5Aget_type (a) : -1;
  H5_AUTO hid_t space = a >= 0 ? H5Aget_space (a) : -1;
  hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints (space) : -1;
  if (space >= 0 && H5Sget_simple_extent_type (space) == H5S_NULL)
    n = 0;
  if (type < 0 || n < 0 || n > 100000)
    {
      corrupt (error, "%s: attribute %s cannot be read", where, attr);
      return NULL;
    }

  /* h5py stores an empty list as a float array of length 0. */
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  if (n == 0)
    return out;
  if (H5Tget_class (type) != H5T_STRING)
    {
      g_ptr_array_unref (out);
      corrupt (error, "%s: attribute %s is not a list of strings", where, attr);
      return NULL;
    }
  if (H5Tis_variable_str (type) > 0)
    {
      H5_AUTO hid_t mem = H5Tcopy (H5T_C_S1);
      H5Tset_size (mem, H5T_VARIABLE);
      g_autofree char **buf = g_new0 (char *, n);
      if (H5Aread (a, mem, buf) < 0)
        {
          g_ptr_array_unref (out);
          corrupt (error, "%s: cannot read attribute %s", where, attr);
          return NULL;
        }
      for (hssize_t i = 0; i < n; i++)
        {
          g_ptr_array_add (out, g_strdup (buf[i] ? buf[i] : ""));
          H5free_memory (buf[i]);
        }
      return out;
    }

  size_t size = H5Tget_size (type);
  if (size == 0 || size > 4096)
    {
      g_ptr_array_unref (out);
      corrupt (error, "%s: attribute %s has a bad string size", where, attr);
      return NULL;
    }
  g_autofree char *buf = g_malloc0 ((gsize) n * size + 1);
  if (H5Aread (a, type, buf) < 0)
    {
      g_ptr_array_unref (out);
      corrupt (error, "%s: cannot read attribute %s", where, attr);
      return NULL;
    }
  for (hssize_t i = 0; i < n; i++)
    g_ptr_array_add (out, g_strndup (buf + (gsize) i * size, size));
  return out;
}

static IncTensor *
read_dataset (hid_t       group,
              const char *path,
              const char *layer,
              GError    **error)
{
  H5_AUTO hid_t d = H5Lexists (group, path, H5P_DEFAULT) > 0
                      ? H5Dopen2 (group, path, H5P_DEFAULT) : -1;
  if (d < 0)
    {
      corrupt (error, "layer %s lists weight %s, which the file lacks",
               layer, path);
      return NULL;
    }
  H5_AUTO hid_t space = H5Dget_space (d);
  H5_AUTO hid_t type = H5Dget_type (d);
  int rank = space >= 0 ? H5Sget_simple_extent_ndims (space) : -1;
  if (rank < 1 || rank > 4 || H5Tget_class (type) != H5T_FLOAT)
    {
      corrupt (error, "weight %s of layer %s is not a float tensor of rank "
               "1 to 4", path, layer);
      return NULL;
    }
  hsize_t dims[4];
  H5Sget_simple_extent_dims (space, dims, NULL);

  g_autofree IncTensor *t = g_new0 (IncTensor, 1);
  t->rank = rank;
  t->n = 1;
  for (int i = 0; i < rank; i++)
    {
      if (dims[i] == 0 || dims[i] > (1u << 24) || t->n > (G_MAXINT32 / dims[i]))
        {
          corrupt (error, "weight %s of layer %s has an implausible shape",
                   path, layer);
          return NULL;
        }
      t->shape[i] = (int) dims[i];
      t->n *= dims[i];
    }
  g_autofree float *data = g_try_new (float, t->n);
  if (data == NULL ||
      H5Dread (d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    {
      corrupt (error, "cannot read weight %s of layer %s", path, layer);
      return NULL;
    }
  t->data = g_steal_pointer (&data);
  return g_steal_pointer (&t);
}

/* ---- the topology side ------------------------------------------------- */

typedef struct {
  const char *name;
  const char *class_name;
  JsonObject *config;
} WeightedLayer;

static JsonNode *
model_topology (JsonNode *topology)
{
  if (topology != NULL && JSON_NODE_HOLDS_OBJECT (topology))
    {
      JsonNode *mt = json_object_get_member (json_node_get_object (topology),
                                             "modelTopology");
      if (mt != NULL)
        return mt;
    }
  return topology;
}

static gboolean
is_weighted (const char *class_name)
{
  return g_strcmp0 (class_name, "Conv2D") == 0 ||
         g_strcmp0 (class_name, "Convolution2D") == 0 ||
         g_strcmp0 (class_name, "BatchNormalization") == 0 ||
         g_strcmp0 (class_name, "Dense") == 0;
}

/* The topology's layers that carry weights, in order. */
static GArray *
weighted_layers (JsonNode *topology,
                 GError  **error)
{
  JsonNode *top = model_topology (topology);
  JsonArray *layers = NULL;

  if (top != NULL && JSON_NODE_HOLDS_OBJECT (top))
    {
      JsonObject *obj = json_node_get_object (top);
      JsonNode *mc = json_object_get_member (obj, "model_config");
      if (mc != NULL && JSON_NODE_HOLDS_OBJECT (mc))
        obj = json_node_get_object (mc);
      JsonNode *config = json_object_get_member (obj, "config");
      if (config != NULL && JSON_NODE_HOLDS_ARRAY (config))
        layers = json_node_get_array (config);
      else if (config != NULL && JSON_NODE_HOLDS_OBJECT (config))
        {
          JsonNode *l = json_object_get_member (json_node_get_object (config),
                                                "layers");
          if (l != NULL && JSON_NODE_HOLDS_ARRAY (l))
            layers = json_node_get_array (l);
        }
    }
  if (layers == NULL)
    {
      corrupt (error, "the topology has no layer list");
      return NULL;
    }

  GArray *out = g_array_new (FALSE, TRUE, sizeof (WeightedLayer));
  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      JsonNode *node = json_array_get_element (layers, i);
      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      JsonObject *obj = json_node_get_object (node);
      JsonNode *cfg = json_object_get_member (obj, "config");
      WeightedLayer w = { 0 };
      w.class_name = _inc_json_string (obj, "class_name", NULL);
      w.config = cfg && JSON_NODE_HOLDS_OBJECT (cfg) ? json_node_get_object (cfg)
                                                     : NULL;
      w.name = _inc_json_string (obj, "name", NULL);
      if (w.name == NULL && w.config != NULL)
        w.name = _inc_json_string (w.config, "name", NULL);
      if (w.name != NULL && is_weighted (w.class_name))
        g_array_append_val (out, w);
    }
  return out;
}

static gboolean
config_flag (JsonObject *config,
             const char *member,
             gboolean    fallback)
{
  JsonNode *n = config ? json_object_get_member (config, member) : NULL;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) ||
      json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (n);
}

/* The parameter names Keras gives this layer's weights, in order. */
static GPtrArray *
expected_params (const WeightedLayer *w)
{
  GPtrArray *p = g_ptr_array_new ();
  if (g_str_equal (w->class_name, "BatchNormalization"))
    {
      if (config_flag (w->config, "scale", TRUE))
        g_ptr_array_add (p, "gamma");
      if (config_flag (w->config, "center", TRUE))
        g_ptr_array_add (p, "beta");
      g_ptr_array_add (p, "moving_mean");
      g_ptr_array_add (p, "moving_variance");
    }
  else
    {
      g_ptr_array_add (p, "kernel");
      if (config_flag (w->config, "use_bias", TRUE))
        g_ptr_array_add (p, "bias");
    }
  return p;
}

/* "conv2d_1/kernel:0" -> "kernel"; NULL when not a name we know. */
static const char *
param_of (const char *weight_name)
{
  static const char *known[] = { "kernel", "bias", "gamma", "beta",
                                 "moving_mean", "moving_variance" };
  const char *slash = strrchr (weight_name, '/');
  const char *base = slash ? slash + 1 : weight_name;
  gsize len = strcspn (base, ":");

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (strlen (known[i]) == len && strncmp (base, known[i], len) == 0)
      return known[i];
  return NULL;
}

/* ---- matching the file to the topology --------------------------------- */

typedef struct {
  char      *name;
  GPtrArray *weights;   /* weight_names */
} FileLayer;

static void
file_layer_clear (gpointer p)
{
  FileLayer *l = p;
  g_free (l->name);
  g_clear_pointer (&l->weights, g_ptr_array_unref);
}

static GArray *
read_file_layers (hid_t       root,
                  const char *path,
                  GError    **error)
{
  g_autoptr(GPtrArray) names = read_strings (root, "layer_names", path, error);
  if (names == NULL)
    return NULL;

  g_autoptr(GArray) out = g_array_new (FALSE, TRUE, sizeof (FileLayer));
  g_array_set_clear_func (out, file_layer_clear);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      H5_AUTO hid_t g = H5Lexists (root, name, H5P_DEFAULT) > 0
                          ? H5Gopen2 (root, name, H5P_DEFAULT) : -1;
      if (g < 0)
        {
          corrupt (error, "%s lists layer %s but has no group for it", path,
                   name);
          return NULL;
        }
      GPtrArray *weights = read_strings (g, "weight_names", name, error);
      if (weights == NULL)
        return NULL;
      if (weights->len == 0)
        {
          g_ptr_array_unref (weights);
          continue;
        }
      FileLayer l = { g_strdup (name), weights };
      g_array_append_val (out, l);
    }
  return g_steal_pointer (&out);
}

static gboolean
read_layer_tensors (hid_t                root,
                    const FileLayer     *fl,
                    const WeightedLayer *tl,
                    GHashTable          *table,
                    GError             **error)
{
  g_autoptr(GPtrArray) params = expected_params (tl);
  if (fl->weights->len != params->len)
    return corrupt (error, "layer %s of the file has %u weights; layer %s (%s) "
                    "of the topology takes %u", fl->name, fl->weights->len,
                    tl->name, tl->class_name, params->len);

  H5_AUTO hid_t g = H5Gopen2 (root, fl->name, H5P_DEFAULT);
  for (guint k = 0; k < params->len; k++)
    {
      const char *wname = fl->weights->pdata[k];
      const char *param = param_of (wname);
      /* Unknown names (older Keras) follow the layer's weight order. */
      if (param == NULL)
        param = params->pdata[k];
      else if (!g_ptr_array_find_with_equal_func (params, param, g_str_equal,
                                                  NULL))
        return corrupt (error, "layer %s of the file holds %s, which layer %s "
                        "(%s) of the topology does not take", fl->name, wname,
                        tl->name, tl->class_name);
      IncTensor *t = read_dataset (g, wname, fl->name, error);
      if (t == NULL)
        return FALSE;
      t->name = g_strdup_printf ("%s/%s", tl->name, param);
      if (g_hash_table_contains (table, t->name))
        {
          g_free (t->data);
          corrupt (error, "layer %s holds %s twice", fl->name, param);
          g_free (t->name);
          g_free (t);
          return FALSE;
        }
      g_hash_table_insert (table, t->name, t);
    }
  return TRUE;
}

static GHashTable *
read_locked (const char *path,
             JsonNode   *topology,
             GError    **error)
{
  g_autoptr(GArray) tlayers = weighted_layers (topology, error);
  if (tlayers == NULL)
    return NULL;

  H5_AUTO hid_t file = H5Fopen (path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0)
    {
      corrupt (error, "%s is not a readable HDF5 file", path);
      return NULL;
    }
  H5_AUTO hid_t model_weights = H5Lexists (file, "model_weights", H5P_DEFAULT) > 0
                                  ? H5Gopen2 (file, "model_weights", H5P_DEFAULT)
                                  : -1;
  hid_t root = model_weights >= 0 ? model_weights : file;

  g_autoptr(GArray) flayers = read_file_layers (root, path, error);
  if (flayers == NULL)
    return NULL;
  if (flayers->len == 0)
    {
      corrupt (error, "%s holds no weights", path);
      return NULL;
    }

  /* By name when every file layer is a topology layer, else in order. */
  g_autoptr(GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < tlayers->len; i++)
    {
      WeightedLayer *w = &g_array_index (tlayers, WeightedLayer, i);
      g_hash_table_insert (by_name, (gpointer) w->name, w);
    }
  gboolean named = TRUE;
  for (guint i = 0; i < flayers->len && named; i++)
    named = g_hash_table_contains (by_name,
                                   g_array_index (flayers, FileLayer, i).name);

  guint n_conv = 0;
  for (guint i = 0; i < tlayers->len; i++)
    n_conv += !g_str_equal (g_array_index (tlayers, WeightedLayer, i).class_name,
                            "Dense");
  if (!named && flayers->len < n_conv)
    {
      corrupt (error, "%s holds weights for %u layers; the topology has %u "
               "convolution and normalisation layers", path, flayers->len,
               n_conv);
      return NULL;
    }

  g_autoptr(GHashTable) table = _inc_tensor_table_new ();
  for (guint i = 0; i < flayers->len; i++)
    {
      FileLayer *fl = &g_array_index (flayers, FileLayer, i);
      WeightedLayer *tl = named ? g_hash_table_lookup (by_name, fl->name)
                          : i < tlayers->len
                          ? &g_array_index (tlayers, WeightedLayer, i) : NULL;
      if (tl == NULL)
        break;   /* extra layers past the topology's end */
      /* In order, the head (Dense) is never built: skip its weights. */
      if (!named && g_str_equal (tl->class_name, "Dense"))
        continue;
      if (!read_layer_tensors (root, fl, tl, table, error))
        return NULL;
    }
  return g_steal_pointer (&table);
}

GHashTable *
inc_hdf5_read_keras_weights (const char *path,
                             JsonNode   *topology,
                             GError    **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_MISSING,
                   "%s does not exist", path);
      return NULL;
    }
  if (!inc_hdf5_is_hdf5 (path))
    {
      corrupt (error, "%s is not an HDF5 file", path);
      return NULL;
    }

  g_mutex_lock (&hdf5_lock);
  /* Errors are reported through GError, not HDF5's stack dump on stderr. */
  H5Eset_auto2 (H5E_DEFAULT, NULL, NULL);
  GHashTable *table = read_locked (path, topology, error);
  g_mutex_unlock (&hdf5_lock);
  return table;
}

IncModel *
inc_hdf5_import (const char *path,
                 JsonNode   *topology,
                 GError    **error)
{
  g_autoptr(GHashTable) tensors = inc_hdf5_read_keras_weights (path, topology,
                                                               error);
  if (tensors == NULL)
    return NULL;
  g_autofree char *abs = g_canonicalize_filename (path, NULL);
  g_autofree char *source = g_strdup_printf ("Keras HDF5 weights %s", abs);
  IncModel *model = _inc_keras_build (model_topology (topology), tensors,
                                      source, error);
  if (model == NULL)
    g_prefix_error (error, "%s: ", path);
  return model;
}

JsonNode *
inc_keras_topology_load (const char *path,
                         GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;

  if (!json_parser_load_from_file (parser, path, &local))
    {
      int code = g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                   ? INC_MODEL_ERROR_MISSING : INC_MODEL_ERROR_CORRUPT;
      g_set_error (error, INC_MODEL_ERROR, code, "topology %s: %s", path,
                   local->message);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      corrupt (error, "topology %s is not a JSON object", path);
      return NULL;
    }
  return json_node_copy (root);
}
