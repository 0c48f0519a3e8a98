/* test-hdf5.c: the Keras HDF5 weights importer.
 *
 * The main tests write an HDF5 file in the canonical Keras layout (root
 * attribute layer_names; one group per layer with attribute weight_names and
 * datasets such as conv2d_1/conv2d_1/kernel:0), filled with the weights of
 * the nsfwjs package read through the tfjs reader, import it with the HDF5
 * importer and check the fused model equals the package's own import.
 * INCEPTIONIST_NSFWJS_DIR names the package's dist/models/inception_v3;
 * without it those tests are skipped (failed with INCEPTIONIST_REQUIRE_MODEL=1).
 * The error cases run on small files built here and need no model.
 */
#include <glib/gstdio.h>
#include <hdf5.h>
#include <math.h>
#include <string.h>

#include "core/model-fetch.h"
#include "core/model-hdf5.h"
#include "core/model-import.h"

static char *tmpdir;

/* ---- writing Keras-layout HDF5 ------------------------------------------ */

static void
write_strings (hid_t       obj,
               const char *name,
               GPtrArray  *strings)
{
  hsize_t dims[1] = { strings->len };
  hid_t space = H5Screate_simple (1, dims, NULL);
  hid_t type;
  g_autofree char *buf = NULL;

  if (strings->len == 0)
    {
      /* What h5py writes for an empty list: float64, shape (0,). */
      type = H5Tcopy (H5T_IEEE_F64LE);
    }
  else
    {
      gsize max = 1;
      for (guint i = 0; i < strings->len; i++)
        max = MAX (max, strlen (strings->pdata[i]));
      type = H5Tcopy (H5T_C_S1);
      H5Tset_size (type, max);
      H5Tset_strpad (type, H5T_STR_NULLPAD);
      buf = g_malloc0 (max * strings->len);
      for (guint i = 0; i < strings->len; i++)
        memcpy (buf + i * max, strings->pdata[i], strlen (strings->pdata[i]));
    }
  hid_t a = H5Acreate2 (obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (a, >=, 0);
  if (strings->len > 0)
    g_assert_cmpint (H5Awrite (a, type, buf), >=, 0);
  H5Aclose (a);
  H5Tclose (type);
  H5Sclose (space);
}

static void
write_tensor (hid_t            group,
              const char      *path,
              const IncTensor *t,
              gboolean         mangle)
{
  hsize_t dims[4] = { 0 };
  for (int i = 0; i < t->rank; i++)
    dims[i] = (hsize_t) t->shape[i];
  if (mangle)
    dims[t->rank - 1] += 1;   /* one output channel too many */
  hsize_t n = 1;
  for (int i = 0; i < t->rank; i++)
    n *= dims[i];
  g_autofree float *data = g_new0 (float, n);
  memcpy (data, t->data, MIN (n, t->n) * sizeof (float));

  hid_t lcpl = H5Pcreate (H5P_LINK_CREATE);
  H5Pset_create_intermediate_group (lcpl, 1);
  hid_t space = H5Screate_simple (t->rank, dims, NULL);
  hid_t d = H5Dcreate2 (group, path, H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT,
                        H5P_DEFAULT);
  g_assert_cmpint (d, >=, 0);
  g_assert_cmpint (H5Dwrite (d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                             H5P_DEFAULT, data), >=, 0);
  H5Dclose (d);
  H5Sclose (space);
  H5Pclose (lcpl);
}

typedef enum {
  LAYOUT_NAMES,        /* the topology's layer names */
  LAYOUT_OTHER_NAMES,  /* other names: matched in order */
  LAYOUT_MODEL_FILE,   /* under /model_weights, as model.save writes */
  LAYOUT_BAD_SHAPE,    /* one kernel with a channel too many */
  LAYOUT_MISSING_DATASET,
} Layout;

static JsonArray *
topology_layers (JsonNode *topology)
{
  JsonObject *mt = json_object_get_object_member (
    json_node_get_object (topology), "modelTopology");
  JsonObject *mc = json_object_get_object_member (mt, "model_config");
  return json_object_get_array_member (
    json_object_get_object_member (mc, "config"), "layers");
}

/* Writes the layers of topology (head excluded, as in a "notop" file) with
 * the tensors of the table, in Keras's weight order. */
static char *
write_keras_h5 (JsonNode   *topology,
                GHashTable *tensors,
                Layout      layout,
                const char *name)
{
  static const char *order[] = { "kernel", "bias", "gamma", "beta",
                                 "moving_mean", "moving_variance" };
  char *path = g_build_filename (tmpdir, name, NULL);
  hid_t file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (file, >=, 0);
  hid_t root = layout == LAYOUT_MODEL_FILE
                 ? H5Gcreate2 (file, "model_weights", H5P_DEFAULT, H5P_DEFAULT,
                               H5P_DEFAULT)
                 : file;
  JsonArray *layers = topology_layers (topology);
  g_autoptr(GPtrArray) layer_names = g_ptr_array_new_with_free_func (g_free);
  gboolean mangled = FALSE, dropped = FALSE;

  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      JsonObject *l = json_array_get_object_element (layers, i);
      const char *cls = json_object_get_string_member (l, "class_name");
      const char *lname = json_object_get_string_member (l, "name");
      if (g_str_equal (cls, "Dense") || g_str_equal (cls, "Dropout") ||
          g_str_equal (cls, "Flatten"))
        continue;
      char *fname = layout == LAYOUT_OTHER_NAMES
                      ? g_strdup_printf ("layer_%03u", i) : g_strdup (lname);
      g_ptr_array_add (layer_names, fname);
      hid_t g = H5Gcreate2 (root, fname, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      g_autoptr(GPtrArray) weight_names = g_ptr_array_new_with_free_func (g_free);
      for (guint k = 0; k < G_N_ELEMENTS (order); k++)
        {
          g_autofree char *key = g_strdup_printf ("%s/%s", lname, order[k]);
          IncTensor *t = g_hash_table_lookup (tensors, key);
          if (t == NULL)
            continue;
          char *wname = g_strdup_printf ("%s/%s:0", fname, order[k]);
          g_ptr_array_add (weight_names, wname);
          gboolean mangle = layout == LAYOUT_BAD_SHAPE && !mangled &&
                            g_str_equal (order[k], "kernel") && i > 40;
          mangled |= mangle;
          if (layout == LAYOUT_MISSING_DATASET && !dropped && i > 40)
            {
              dropped = TRUE;
              continue;
            }
          write_tensor (g, wname, t, mangle);
        }
      write_strings (g, "weight_names", weight_names);
      H5Gclose (g);
    }
  write_strings (root, "layer_names", layer_names);
  if (root != file)
    H5Gclose (root);
  H5Fclose (file);
  return path;
}

/* ---- the package's own weights ------------------------------------------ */

static JsonNode *
load_topology (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data",
                                                 "inception_v3-topology.json",
                                                 NULL);
  g_autoptr(GError) error = NULL;
  JsonNode *topology = inc_keras_topology_load (path, &error);
  g_assert_no_error (error);
  return topology;
}

static const char *
nsfwjs_dir (void)
{
  const char *dir = g_getenv ("INCEPTIONIST_NSFWJS_DIR");
  if (dir != NULL && *dir != '\0')
    return dir;
  if (g_strcmp0 (g_getenv ("INCEPTIONIST_REQUIRE_MODEL"), "1") == 0)
    g_error ("INCEPTIONIST_NSFWJS_DIR is not set but INCEPTIONIST_REQUIRE_MODEL=1");
  g_test_skip ("INCEPTIONIST_NSFWJS_DIR is not set");
  return NULL;
}

static GHashTable *
package_tensors (JsonNode   *topology,
                 const char *dir)
{
  g_autoptr(GError) error = NULL;
  JsonNode *manifest = json_object_get_member (json_node_get_object (topology),
                                               "weightsManifest");
  GHashTable *tensors = _inc_tfjs_read_weights (manifest, _inc_nsfwjs_read_shard,
                                                (gpointer) dir, &error);
  g_assert_no_error (error);
  return tensors;
}

static void
assert_models_equal (const IncModel *a,
                     const IncModel *b)
{
  g_assert_cmpuint (a->n_nodes, ==, b->n_nodes);
  for (guint i = 0; i < a->n_nodes; i++)
    {
      const IncNode *x = &a->nodes[i], *y = &b->nodes[i];
      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpint (x->op, ==, y->op);
      g_assert_cmpuint (x->n_inputs, ==, y->n_inputs);
      for (guint k = 0; k < x->n_inputs; k++)
        g_assert_cmpuint (x->inputs[k], ==, y->inputs[k]);
      g_assert_cmpint (x->kh, ==, y->kh);
      g_assert_cmpint (x->kw, ==, y->kw);
      g_assert_cmpint (x->sh, ==, y->sh);
      g_assert_cmpint (x->sw, ==, y->sw);
      g_assert_cmpint (x->same, ==, y->same);
      g_assert_cmpint (x->relu, ==, y->relu);
      g_assert_cmpint (x->cin, ==, y->cin);
      g_assert_cmpint (x->cout, ==, y->cout);
      g_assert_cmpuint (x->weight_offset, ==, y->weight_offset);
    }
  g_assert_cmpuint (a->n_weights, ==, b->n_weights);
  double worst = 0;
  for (gsize i = 0; i < a->n_weights; i++)
    worst = MAX (worst, fabs ((double) a->weights[i] - b->weights[i]));
  g_test_message ("largest weight difference %g over %zu weights", worst,
                  a->n_weights);
  g_assert_cmpfloat (worst, <=, 1e-6);
}

static void
check_layout (Layout      layout,
              const char *name)
{
  const char *dir = nsfwjs_dir ();
  if (dir == NULL)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) topology = load_topology ();
  g_autoptr(GHashTable) tensors = package_tensors (topology, dir);
  g_autofree char *h5 = write_keras_h5 (topology, tensors, layout, name);

  g_assert_true (inc_hdf5_is_hdf5 (h5));
  g_autoptr(IncModel) from_h5 = inc_hdf5_import (h5, topology, &error);
  g_assert_no_error (error);
  g_autoptr(IncModel) from_npm = inc_model_import (dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (from_h5->source, "HDF5"));
  assert_models_equal (from_h5, from_npm);
  g_assert_cmpint (inc_model_find (from_h5, "mixed10"), >=, 0);
  g_unlink (h5);
}

static void
test_by_name (void)
{
  check_layout (LAYOUT_NAMES, "by-name.h5");
}

static void
test_by_order (void)
{
  check_layout (LAYOUT_OTHER_NAMES, "by-order.h5");
}

static void
test_model_file (void)
{
  check_layout (LAYOUT_MODEL_FILE, "model-file.h5");
}

static void
check_refused (Layout      layout,
               const char *name,
               int         code)
{
  const char *dir = nsfwjs_dir ();
  if (dir == NULL)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) topology = load_topology ();
  g_autoptr(GHashTable) tensors = package_tensors (topology, dir);
  g_autofree char *h5 = write_keras_h5 (topology, tensors, layout, name);

  g_autoptr(IncModel) model = inc_hdf5_import (h5, topology, &error);
  g_assert_null (model);
  g_assert_error (error, INC_MODEL_ERROR, code);
  g_test_message ("%s", error->message);
  g_unlink (h5);
}

static void
test_bad_shape (void)
{
  check_refused (LAYOUT_BAD_SHAPE, "bad-shape.h5", INC_MODEL_ERROR_SHAPE);
}

static void
test_missing_dataset (void)
{
  check_refused (LAYOUT_MISSING_DATASET, "missing.h5", INC_MODEL_ERROR_CORRUPT);
}


/* The user's own .h5 through inc_model_fetch: imported with the topology
 * it finds, saved atomically; a bad file installs nothing. */
static void
test_fetch_file (void)
{
  const char *dir = nsfwjs_dir ();
  if (dir == NULL)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) topology = load_topology ();
  g_autoptr(GHashTable) tensors = package_tensors (topology, dir);
  g_autofree char *h5 = write_keras_h5 (topology, tensors, LAYOUT_NAMES,
                                        "user.h5");
  g_autofree char *bad = write_keras_h5 (topology, tensors, LAYOUT_BAD_SHAPE,
                                         "user-bad.h5");
  g_autofree char *topology_path = g_test_build_filename (
    G_TEST_DIST, "..", "data", "inception_v3-topology.json", NULL);
  g_autofree char *out = g_build_filename (tmpdir, "models", "user.incmodel",
                                           NULL);
  g_autofree char *out_bad = g_build_filename (tmpdir, "models", "bad.incmodel",
                                               NULL);

  g_setenv ("INCEPTIONIST_TOPOLOGY", topology_path, TRUE);
  IncModelFetchRequest req = {
    .source = INC_MODEL_SOURCE_FILE, .file = h5, .output = out,
    .cache_dir = tmpdir,
  };
  g_autofree char *written = inc_model_fetch (&req, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (written, ==, out);
  g_autoptr(IncModel) saved = inc_model_load (out, &error);
  g_assert_no_error (error);
  g_autoptr(IncModel) from_npm = inc_model_import (dir, &error);
  g_assert_no_error (error);
  assert_models_equal (saved, from_npm);

  req.file = bad;
  req.output = out_bad;
  g_autofree char *none = inc_model_fetch (&req, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_SHAPE);
  g_assert_false (g_file_test (out_bad, G_FILE_TEST_EXISTS));
  g_unsetenv ("INCEPTIONIST_TOPOLOGY");

  g_unlink (out);
  g_autofree char *models = g_path_get_dirname (out);
  g_autoptr(GDir) d = g_dir_open (models, 0, NULL);
  g_assert_nonnull (d);
  g_assert_null (g_dir_read_name (d));   /* no temporary file left behind */
  g_rmdir (models);
  g_unlink (h5);
  g_unlink (bad);
}

/* ---- error cases that need no model ------------------------------------- */

static void
test_not_hdf5 (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "text.h5", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) topology = load_topology ();

  g_assert_true (g_file_set_contents (path, "not an HDF5 file\n", -1, &error));
  g_assert_false (inc_hdf5_is_hdf5 (path));
  g_autoptr(IncModel) model = inc_hdf5_import (path, topology, &error);
  g_assert_null (model);
  g_assert_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT);
  g_clear_error (&error);

  g_autofree char *missing = g_build_filename (tmpdir, "none.h5", NULL);
  g_assert_null (inc_hdf5_import (missing, topology, &error));
  g_assert_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_MISSING);
  g_unlink (path);
}

/* An HDF5 file that is not a Keras weights file (no layer_names). */
static void
test_no_layer_names (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "plain.h5", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) topology = load_topology ();

  hid_t file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t g = H5Gcreate2 (file, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose (g);
  H5Fclose (file);

  g_assert_true (inc_hdf5_is_hdf5 (path));
  g_autoptr(IncModel) model = inc_hdf5_import (path, topology, &error);
  g_assert_null (model);
  g_assert_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "layer_names"));
  g_unlink (path);
}

/* A Keras file whose layers are too few for the topology. */
static void
test_too_few_layers (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "few.h5", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) topology = load_topology ();
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GPtrArray) weights = g_ptr_array_new ();
  IncTensor t = { .rank = 4, .shape = { 3, 3, 3, 32 }, .n = 3 * 3 * 3 * 32 };
  g_autofree float *data = g_new0 (float, t.n);

  t.data = data;
  g_ptr_array_add (names, "conv_a");
  g_ptr_array_add (weights, "conv_a/kernel:0");
  hid_t file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t g = H5Gcreate2 (file, "conv_a", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  write_tensor (g, "conv_a/kernel:0", &t, FALSE);
  write_strings (g, "weight_names", weights);
  H5Gclose (g);
  write_strings (file, "layer_names", names);
  H5Fclose (file);

  g_autoptr(IncModel) model = inc_hdf5_import (path, topology, &error);
  g_assert_null (model);
  g_assert_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT);
  g_unlink (path);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  tmpdir = g_dir_make_tmp ("inc-hdf5-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);

  g_test_add_func ("/hdf5/import/by-name", test_by_name);
  g_test_add_func ("/hdf5/import/by-order", test_by_order);
  g_test_add_func ("/hdf5/import/model-file", test_model_file);
  g_test_add_func ("/hdf5/import/bad-shape", test_bad_shape);
  g_test_add_func ("/hdf5/import/missing-dataset", test_missing_dataset);
  g_test_add_func ("/hdf5/fetch/file", test_fetch_file);
  g_test_add_func ("/hdf5/import/not-hdf5", test_not_hdf5);
  g_test_add_func ("/hdf5/import/no-layer-names", test_no_layer_names);
  g_test_add_func ("/hdf5/import/too-few-layers", test_too_few_layers);

  int ret = g_test_run ();
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return ret;
}
