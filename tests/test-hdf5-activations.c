/* test-hdf5-activations.c: a model imported from a Keras HDF5 file gives the
 * same activations as the npm import, on the compute engine.
 *
 * The HDF5 file is written here in the Keras layout from the nsfwjs package's
 * weights (as in test-hdf5.c, with h5py's layout: nested weight datasets,
 * fixed-length name attributes); both models then run forward to mixed3 and
 * mixed5 on a small odd-sized image. INCEPTIONIST_NSFWJS_DIR names the
 * package's dist/models/inception_v3 (skipped when unset, failed when
 * INCEPTIONIST_REQUIRE_MODEL=1).
 */
#include <glib/gstdio.h>
#include <hdf5.h>
#include <math.h>
#include <string.h>

#include "compute-support.h"
#include "core/model-hdf5.h"
#include "core/model-import.h"

static void
write_strings (hid_t       obj,
               const char *name,
               GPtrArray  *strings)
{
  hsize_t dims[1] = { strings->len };
  hid_t space = H5Screate_simple (1, dims, NULL);
  gsize max = 1;
  for (guint i = 0; i < strings->len; i++)
    max = MAX (max, strlen (strings->pdata[i]));
  hid_t type = H5Tcopy (H5T_C_S1);
  H5Tset_size (type, max);
  H5Tset_strpad (type, H5T_STR_NULLPAD);
  g_autofree char *buf = g_malloc0 (max * MAX (strings->len, 1));
  for (guint i = 0; i < strings->len; i++)
    memcpy (buf + i * max, strings->pdata[i], strlen (strings->pdata[i]));
  hid_t a = H5Acreate2 (obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (H5Awrite (a, type, buf), >=, 0);
  H5Aclose (a);
  H5Tclose (type);
  H5Sclose (space);
}

/* The package's conv and batch-norm weights as a Keras "notop" file. */
static void
write_h5 (const char *path,
          JsonNode   *topology,
          GHashTable *tensors)
{
  static const char *order[] = { "kernel", "bias", "gamma", "beta",
                                 "moving_mean", "moving_variance" };
  JsonObject *mt = json_object_get_object_member (
    json_node_get_object (topology), "modelTopology");
  JsonArray *layers = json_object_get_array_member (
    json_object_get_object_member (
      json_object_get_object_member (mt, "model_config"), "config"), "layers");
  hid_t file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  hid_t lcpl = H5Pcreate (H5P_LINK_CREATE);
  H5Pset_create_intermediate_group (lcpl, 1);

  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      JsonObject *l = json_array_get_object_element (layers, i);
      const char *cls = json_object_get_string_member (l, "class_name");
      const char *lname = json_object_get_string_member (l, "name");
      if (!g_str_equal (cls, "Conv2D") && !g_str_equal (cls, "BatchNormalization"))
        continue;
      g_ptr_array_add (names, g_strdup (lname));
      hid_t g = H5Gcreate2 (file, lname, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      g_autoptr(GPtrArray) wnames = g_ptr_array_new_with_free_func (g_free);
      for (guint k = 0; k < G_N_ELEMENTS (order); k++)
        {
          g_autofree char *key = g_strdup_printf ("%s/%s", lname, order[k]);
          IncTensor *t = g_hash_table_lookup (tensors, key);
          if (t == NULL)
            continue;
          char *wname = g_strdup_printf ("%s/%s:0", lname, order[k]);
          g_ptr_array_add (wnames, wname);
          hsize_t dims[4] = { 0 };
          for (int d = 0; d < t->rank; d++)
            dims[d] = (hsize_t) t->shape[d];
          hid_t space = H5Screate_simple (t->rank, dims, NULL);
          hid_t ds = H5Dcreate2 (g, wname, H5T_IEEE_F32LE, space, lcpl,
                                 H5P_DEFAULT, H5P_DEFAULT);
          g_assert_cmpint (H5Dwrite (ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                                     H5P_DEFAULT, t->data), >=, 0);
          H5Dclose (ds);
          H5Sclose (space);
        }
      write_strings (g, "weight_names", wnames);
      H5Gclose (g);
    }
  write_strings (file, "layer_names", names);
  H5Pclose (lcpl);
  H5Fclose (file);
}

static float *
forward (IncDevice      *device,
         const IncModel *model,
         const float    *image,
         int             h,
         int             w,
         const char     *layer,
         gsize          *n)
{
  g_autoptr(GError) error = NULL;
  const char *layers[] = { layer, NULL };
  g_autoptr(IncNetwork) network = inc_network_new (device, model, &error);
  g_assert_no_error (error);
  g_autoptr(IncPass) pass = inc_pass_new (network, h, w, layers, &error);
  g_assert_no_error (error);
  g_assert_true (inc_pass_set_input (pass, image, &error));
  g_assert_true (inc_pass_forward (pass, &error));
  g_assert_no_error (error);
  int ah, aw, ac;
  g_assert_true (inc_pass_layer_shape (pass, layer, &ah, &aw, &ac));
  *n = (gsize) ah * aw * ac;
  float *out = g_new (float, *n);
  g_assert_true (inc_pass_read_activation (pass, layer, out, &error));
  g_assert_no_error (error);
  return out;
}

static void
test_same_activations (void)
{
  const char *dir = g_getenv ("INCEPTIONIST_NSFWJS_DIR");
  if (dir == NULL || *dir == '\0')
    {
      if (g_strcmp0 (g_getenv ("INCEPTIONIST_REQUIRE_MODEL"), "1") == 0)
        g_error ("INCEPTIONIST_NSFWJS_DIR is not set but INCEPTIONIST_REQUIRE_MODEL=1");
      g_test_skip ("INCEPTIONIST_NSFWJS_DIR is not set");
      return;
    }
  g_autoptr(IncDevice) device = test_open_device (FALSE);
  if (device == NULL)
    return;

  g_autoptr(GError) error = NULL;
  g_autofree char *topology_path = g_test_build_filename (
    G_TEST_DIST, "..", "data", "inception_v3-topology.json", NULL);
  g_autoptr(JsonNode) topology = inc_keras_topology_load (topology_path, &error);
  g_assert_no_error (error);
  JsonNode *manifest = json_object_get_member (json_node_get_object (topology),
                                               "weightsManifest");
  g_autoptr(GHashTable) tensors = _inc_tfjs_read_weights (manifest, _inc_nsfwjs_read_shard,
                                                          (gpointer) dir, &error);
  g_assert_no_error (error);

  g_autofree char *tmp = g_dir_make_tmp ("inc-h5act-XXXXXX", NULL);
  g_autofree char *h5 = g_build_filename (tmp, "notop.h5", NULL);
  write_h5 (h5, topology, tensors);
  g_autoptr(IncModel) from_h5 = inc_hdf5_import (h5, topology, &error);
  g_assert_no_error (error);
  g_autoptr(IncModel) from_npm = inc_model_import (dir, &error);
  g_assert_no_error (error);
  g_unlink (h5);
  g_rmdir (tmp);

  /* A smooth pattern in [-1, 1] of an awkward size. */
  const int h = 101, w = 87;
  g_autofree float *image = g_new (float, h * w * 3);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        image[(y * w + x) * 3 + c] = sinf (0.13f * x + 0.07f * y + 2.1f * c) *
                                     cosf (0.05f * x * (c + 1) - 0.11f * y);

  static const char *layers[] = { "mixed3", "mixed5" };
  for (guint i = 0; i < G_N_ELEMENTS (layers); i++)
    {
      gsize na, nb;
      g_autofree float *a = forward (device, from_h5, image, h, w, layers[i], &na);
      g_autofree float *b = forward (device, from_npm, image, h, w, layers[i], &nb);
      g_assert_cmpuint (na, ==, nb);
      double worst = 0, peak = 0;
      for (gsize k = 0; k < na; k++)
        {
          worst = MAX (worst, fabs ((double) a[k] - b[k]) / (1.0 + fabs (b[k])));
          peak = MAX (peak, fabs (b[k]));
        }
      g_test_message ("%s: %zu values, largest %g, worst relative difference %g",
                      layers[i], na, peak, worst);
      g_assert_cmpfloat (peak, >, 0.0);      /* a real, non-zero activation */
      g_assert_cmpfloat (worst, <=, 1e-5);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hdf5/activations/mixed3-mixed5", test_same_activations);
  return g_test_run ();
}
