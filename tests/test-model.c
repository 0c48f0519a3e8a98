/* test-model.c: the model file, the importers and import-model.
 *
 * Small tfjs models are written here (model.json with json-glib, shards as
 * raw bytes), imported, and the fused graph and folded weights compared with
 * values computed independently in this file. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "core/model-import.h"

/* ---- a synthetic tfjs model --------------------------------------------- */

typedef struct {
  char   *name;
  int     rank;
  int     shape[4];
  gsize   n;
  float  *vals;     /* what the importer must decode */
  guint8 *bytes;    /* what goes into the shard */
  gsize   n_bytes;
  double  qmin, qscale;
} Tensor;

typedef enum { ENC_FLOAT32, ENC_UINT8, ENC_UINT16 } Enc;

typedef struct {
  char      *dir;
  JsonArray *layers;
  GPtrArray *tensors;
  GRand     *rand;
  Enc        enc;
} Fake;

static void
tensor_free (gpointer p)
{
  Tensor *t = p;
  g_free (t->name);
  g_free (t->vals);
  g_free (t->bytes);
  g_free (t);
}

static Fake *
fake_new (Enc enc)
{
  Fake *f = g_new0 (Fake, 1);
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp ("test-model-XXXXXX", &error);
  g_assert_no_error (error);
  f->layers = json_array_new ();
  f->tensors = g_ptr_array_new_with_free_func (tensor_free);
  f->rand = g_rand_new_with_seed (1234);
  f->enc = enc;
  return f;
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
      const char *name;
      while (d && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
fake_free (Fake *f)
{
  remove_tree (f->dir);
  g_free (f->dir);
  json_array_unref (f->layers);
  g_ptr_array_unref (f->tensors);
  g_rand_free (f->rand);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fake, fake_free)

static char *
fake_path (Fake       *f,
           const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

/* A tensor of random values in [lo, hi), stored in the fake's encoding. */
static Tensor *
add_tensor (Fake       *f,
            const char *layer,
            const char *param,
            double      lo,
            double      hi,
            int         rank,
            ...)
{
  Tensor *t = g_new0 (Tensor, 1);
  va_list args;
  va_start (args, rank);
  t->name = g_strdup_printf ("%s/%s", layer, param);
  t->rank = rank;
  t->n = 1;
  for (int i = 0; i < rank; i++)
    {
      t->shape[i] = va_arg (args, int);
      t->n *= (gsize) t->shape[i];
    }
  va_end (args);
  t->vals = g_new (float, t->n);

  gsize width = f->enc == ENC_FLOAT32 ? 4 : f->enc == ENC_UINT8 ? 1 : 2;
  double levels = f->enc == ENC_UINT8 ? 255 : 65535;
  t->n_bytes = t->n * width;
  t->bytes = g_new (guint8, t->n_bytes);
  t->qmin = lo;
  t->qscale = (hi - lo) / levels;
  for (gsize i = 0; i < t->n; i++)
    {
      if (f->enc == ENC_FLOAT32)
        {
          t->vals[i] = (float) g_rand_double_range (f->rand, lo, hi);
          guint32 u;
          memcpy (&u, &t->vals[i], 4);
          u = GUINT32_TO_LE (u);
          memcpy (t->bytes + 4 * i, &u, 4);
        }
      else
        {
          guint32 q = (guint32) g_rand_int_range (f->rand, 0, (gint32) levels + 1);
          t->vals[i] = (float) (t->qmin + t->qscale * q);
          if (f->enc == ENC_UINT8)
            t->bytes[i] = (guint8) q;
          else
            {
              guint16 le = GUINT16_TO_LE ((guint16) q);
              memcpy (t->bytes + 2 * i, &le, 2);
            }
        }
    }
  g_ptr_array_add (f->tensors, t);
  return t;
}

static Tensor *
find_fake_tensor (Fake       *f,
                  const char *name)
{
  for (guint i = 0; i < f->tensors->len; i++)
    {
      Tensor *t = f->tensors->pdata[i];
      if (g_str_equal (t->name, name))
        return t;
    }
  g_assert_not_reached ();
}

static JsonArray *
int_array (int n,
           ...)
{
  JsonArray *a = json_array_new ();
  va_list args;
  va_start (args, n);
  for (int i = 0; i < n; i++)
    json_array_add_int_element (a, va_arg (args, int));
  va_end (args);
  return a;
}

/* Appends a layer; inputs is a NULL-terminated list of producer names. */
static JsonObject *
add_layer (Fake       *f,
           const char *cls,
           const char *name,
           ...)
{
  JsonObject *layer = json_object_new ();
  JsonObject *config = json_object_new ();
  json_object_set_string_member (layer, "name", name);
  json_object_set_string_member (layer, "class_name", cls);
  json_object_set_string_member (config, "name", name);
  json_object_set_object_member (layer, "config", config);

  JsonArray *call = json_array_new ();
  va_list args;
  va_start (args, name);
  const char *in;
  while ((in = va_arg (args, const char *)) != NULL)
    {
      JsonArray *entry = json_array_new ();
      json_array_add_string_element (entry, in);
      json_array_add_int_element (entry, 0);
      json_array_add_int_element (entry, 0);
      json_array_add_object_element (entry, json_object_new ());
      json_array_add_array_element (call, entry);
    }
  va_end (args);
  JsonArray *inbound = json_array_new ();
  if (json_array_get_length (call) > 0)
    json_array_add_array_element (inbound, call);
  else
    json_array_unref (call);
  json_object_set_array_member (layer, "inbound_nodes", inbound);
  json_array_add_object_element (f->layers, layer);
  return config;
}

static void
add_input (Fake       *f,
           const char *name,
           int         channels)
{
  JsonObject *c = add_layer (f, "InputLayer", name, NULL);
  JsonArray *shape = json_array_new ();
  json_array_add_null_element (shape);
  json_array_add_null_element (shape);
  json_array_add_null_element (shape);
  json_array_add_int_element (shape, channels);
  json_object_set_array_member (c, "batch_input_shape", shape);
}

static void
add_conv (Fake       *f,
          const char *name,
          const char *input,
          int         cin,
          int         kh,
          int         kw,
          int         stride,
          const char *padding,
          int         filters,
          gboolean    use_bias,
          const char *activation)
{
  JsonObject *c = add_layer (f, "Conv2D", name, input, NULL);
  json_object_set_int_member (c, "filters", filters);
  json_object_set_array_member (c, "kernel_size", int_array (2, kh, kw));
  json_object_set_array_member (c, "strides", int_array (2, stride, stride));
  json_object_set_string_member (c, "padding", padding);
  json_object_set_string_member (c, "data_format", "channels_last");
  json_object_set_array_member (c, "dilation_rate", int_array (2, 1, 1));
  json_object_set_string_member (c, "activation", activation);
  json_object_set_boolean_member (c, "use_bias", use_bias);
  add_tensor (f, name, "kernel", -0.5, 0.5, 4, kh, kw, cin, filters);
  if (use_bias)
    add_tensor (f, name, "bias", -0.2, 0.2, 1, filters);
}

static void
add_bn (Fake       *f,
        const char *name,
        const char *input,
        int         channels,
        gboolean    scale)
{
  JsonObject *c = add_layer (f, "BatchNormalization", name, input, NULL);
  json_object_set_int_member (c, "axis", 3);
  json_object_set_double_member (c, "epsilon", 0.001);
  json_object_set_boolean_member (c, "center", TRUE);
  json_object_set_boolean_member (c, "scale", scale);
  if (scale)
    add_tensor (f, name, "gamma", 0.5, 1.5, 1, channels);
  add_tensor (f, name, "beta", -1, 1, 1, channels);
  add_tensor (f, name, "moving_mean", -1, 1, 1, channels);
  add_tensor (f, name, "moving_variance", 0.05, 2, 1, channels);
}

static void
add_activation (Fake       *f,
                const char *name,
                const char *input,
                const char *activation)
{
  JsonObject *c = add_layer (f, "Activation", name, input, NULL);
  json_object_set_string_member (c, "activation", activation);
}

static void
add_pool (Fake       *f,
          const char *cls,
          const char *name,
          const char *input,
          int         k,
          int         stride,
          const char *padding)
{
  JsonObject *c = add_layer (f, cls, name, input, NULL);
  json_object_set_array_member (c, "pool_size", int_array (2, k, k));
  json_object_set_array_member (c, "strides", int_array (2, stride, stride));
  json_object_set_string_member (c, "padding", padding);
  json_object_set_string_member (c, "data_format", "channels_last");
}

static void
add_dense (Fake       *f,
           const char *name,
           const char *input,
           int         in_units,
           int         units,
           const char *activation)
{
  JsonObject *c = add_layer (f, "Dense", name, input, NULL);
  json_object_set_int_member (c, "units", units);
  json_object_set_string_member (c, "activation", activation);
  json_object_set_boolean_member (c, "use_bias", TRUE);
  add_tensor (f, name, "kernel", -1, 1, 2, in_units, units);
  add_tensor (f, name, "bias", -1, 1, 1, units);
}

/* The test network: a stem conv+BN+relu, two branches with BN (gamma) and
 * conv-level relu, max and 'same' average pools, a concat, and a head. */
static void
build_small (Fake *f)
{
  add_input (f, "input_1", 3);
  add_conv (f, "conv2d_1", "input_1", 3, 3, 3, 2, "valid", 4, FALSE, "linear");
  add_bn (f, "batch_normalization_1", "conv2d_1", 4, FALSE);
  add_activation (f, "activation_1", "batch_normalization_1", "relu");
  add_conv (f, "conv2d_2", "activation_1", 4, 1, 3, 1, "same", 5, TRUE, "linear");
  add_bn (f, "batch_normalization_2", "conv2d_2", 5, TRUE);
  add_activation (f, "activation_2", "batch_normalization_2", "relu");
  add_pool (f, "MaxPooling2D", "max_pooling2d_1", "activation_1", 3, 1, "same");
  add_pool (f, "AveragePooling2D", "average_pooling2d_1", "activation_1", 3, 1,
            "same");
  add_conv (f, "conv2d_3", "average_pooling2d_1", 4, 3, 3, 1, "same", 2, TRUE,
            "relu");
  add_layer (f, "Concatenate", "mixed0", "activation_2", "max_pooling2d_1",
             "conv2d_3", NULL);
  json_object_set_int_member (
    json_object_get_object_member (
      json_array_get_object_element (f->layers,
                                     json_array_get_length (f->layers) - 1),
      "config"), "axis", -1);
  add_pool (f, "AveragePooling2D", "average_pooling2d_2", "mixed0", 2, 2,
            "valid");
  add_layer (f, "Flatten", "flatten_1", "average_pooling2d_2", NULL);
  add_dense (f, "dense_1", "flatten_1", 11, 6, "relu");
  add_layer (f, "Dropout", "dropout_1", "dense_1", NULL);
  add_dense (f, "dense_2", "dropout_1", 6, 3, "softmax");
}

/* model.json text; shards are named group1-shard{1,2}of2.bin. */
static char *
fake_model_json (Fake *f)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "layers-model");
  json_builder_set_member_name (b, "modelTopology");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "keras_version");
  json_builder_add_string_value (b, "2.2.4");
  json_builder_set_member_name (b, "model_config");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "class_name");
  json_builder_add_string_value (b, "Model");
  json_builder_set_member_name (b, "config");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, "model_1");
  json_builder_set_member_name (b, "layers");
  json_builder_add_value (b, json_node_init_array (json_node_alloc (),
                                                   f->layers));
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "weightsManifest");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "paths");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "group1-shard1of2.bin");
  json_builder_add_string_value (b, "group1-shard2of2.bin");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "weights");
  json_builder_begin_array (b);
  for (guint i = 0; i < f->tensors->len; i++)
    {
      Tensor *t = f->tensors->pdata[i];
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, t->name);
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (int d = 0; d < t->rank; d++)
        json_builder_add_int_value (b, t->shape[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, "float32");
      if (f->enc != ENC_FLOAT32)
        {
          json_builder_set_member_name (b, "quantization");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "min");
          json_builder_add_double_value (b, t->qmin);
          json_builder_set_member_name (b, "scale");
          json_builder_add_double_value (b, t->qscale);
          json_builder_set_member_name (b, "dtype");
          json_builder_add_string_value (b, f->enc == ENC_UINT8 ? "uint8"
                                                                : "uint16");
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);

  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static GBytes *
fake_weight_bytes (Fake *f)
{
  GByteArray *all = g_byte_array_new ();
  for (guint i = 0; i < f->tensors->len; i++)
    {
      Tensor *t = f->tensors->pdata[i];
      g_byte_array_append (all, t->bytes, (guint) t->n_bytes);
    }
  return g_byte_array_free_to_bytes (all);
}

static void
write_file (Fake       *f,
            const char *name,
            const void *data,
            gsize       len)
{
  g_autofree char *path = fake_path (f, name);
  g_autoptr(GError) error = NULL;
  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
}

/* Writes model.json and the two shards, the weights split unevenly across
 * them so that a tensor straddles the boundary. */
static void
fake_write_tfjs (Fake *f)
{
  g_autofree char *json = fake_model_json (f);
  write_file (f, "model.json", json, strlen (json));
  g_autoptr(GBytes) all = fake_weight_bytes (f);
  gsize len;
  const guint8 *data = g_bytes_get_data (all, &len);
  gsize cut = len / 3 + 1;
  write_file (f, "group1-shard1of2.bin", data, cut);
  write_file (f, "group1-shard2of2.bin", data + cut, len - cut);
}

static IncModel *
import_ok (const char *path)
{
  g_autoptr(GError) error = NULL;
  IncModel *m = inc_model_import (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

static void
assert_import_fails (const char *path,
                     int         code,
                     const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(IncModel) m = inc_model_import (path, &error);
  g_assert_null (m);
  g_assert_error (error, INC_MODEL_ERROR, code);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_error ("error '%s' does not mention '%s'", error->message, fragment);
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  while (d && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* ---- graph and weights ------------------------------------------------ */

static const IncNode *
node (const IncModel *m,
      const char     *name)
{
  int i = inc_model_find (m, name);
  if (i < 0)
    g_error ("node %s is missing", name);
  return &m->nodes[i];
}

/* Relative to the size of the terms that went into the value, since a
 * folded bias may cancel to near zero. */
static void
assert_close (float  got,
              double want,
              double magnitude)
{
  double tol = 1e-7 + 1e-5 * magnitude;
  if (fabs (got - want) > tol)
    g_error ("got %.9g, expected %.9g", got, want);
}

/* Checks a fused conv against the fold computed here in double precision.
 * bn may be NULL (no BN); conv_bias NULL means use_bias false. */
static void
check_fold (Fake          *f,
            const IncModel *m,
            const char    *node_name,
            const char    *conv,
            const char    *bn,
            gboolean       has_bias,
            gboolean       has_gamma)
{
  const IncNode *n = node (m, node_name);
  g_autofree char *kname = g_strconcat (conv, "/kernel", NULL);
  Tensor *k = find_fake_tensor (f, kname);
  int c = k->shape[3];
  g_assert_cmpint (n->cout, ==, c);
  g_assert_cmpuint (n->weight_offset + k->n + (gsize) c, <=, m->n_weights);
  const float *w = m->weights + n->weight_offset;

  for (int o = 0; o < c; o++)
    {
      double s = 1, shift = 0, magnitude = 0;
      double bias = 0;
      if (has_bias)
        {
          g_autofree char *bname = g_strconcat (conv, "/bias", NULL);
          bias = find_fake_tensor (f, bname)->vals[o];
        }
      if (bn != NULL)
        {
          g_autofree char *mean = g_strconcat (bn, "/moving_mean", NULL);
          g_autofree char *var = g_strconcat (bn, "/moving_variance", NULL);
          g_autofree char *beta = g_strconcat (bn, "/beta", NULL);
          double gamma = 1;
          if (has_gamma)
            {
              g_autofree char *gname = g_strconcat (bn, "/gamma", NULL);
              gamma = find_fake_tensor (f, gname)->vals[o];
            }
          s = gamma / sqrt (find_fake_tensor (f, var)->vals[o] + 0.001);
          double b = find_fake_tensor (f, beta)->vals[o];
          double mu = find_fake_tensor (f, mean)->vals[o];
          shift = b - mu * s;
          magnitude = fabs (b) + fabs (mu * s);
        }
      magnitude += fabs (bias * s);
      for (gsize i = (gsize) o; i < k->n; i += (gsize) c)
        assert_close (w[i], k->vals[i] * s, fabs (k->vals[i] * s));
      assert_close (w[k->n + (gsize) o], bias * s + shift, magnitude);
    }
}

static void
check_small_graph (const IncModel *m)
{
  static const struct {
    const char *name;
    IncOpKind   op;
    int         cin, cout;
    gboolean    relu;
  } want[] = {
    { "input_1", INC_OP_INPUT, 3, 3, FALSE },
    { "activation_1", INC_OP_CONV, 3, 4, TRUE },
    { "activation_2", INC_OP_CONV, 4, 5, TRUE },
    { "max_pooling2d_1", INC_OP_MAXPOOL, 4, 4, FALSE },
    { "average_pooling2d_1", INC_OP_AVGPOOL, 4, 4, FALSE },
    { "conv2d_3", INC_OP_CONV, 4, 2, TRUE },
    { "mixed0", INC_OP_CONCAT, 11, 11, FALSE },
  };
  g_assert_cmpuint (m->n_nodes, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const IncNode *n = &m->nodes[i];
      g_assert_cmpstr (n->name, ==, want[i].name);
      g_assert_cmpint (n->op, ==, want[i].op);
      g_assert_cmpint (n->cin, ==, want[i].cin);
      g_assert_cmpint (n->cout, ==, want[i].cout);
      g_assert_cmpint (n->relu, ==, want[i].relu);
      for (guint j = 0; j < n->n_inputs; j++)
        g_assert_cmpuint (n->inputs[j], <, i);
    }
  /* The folded layers and the head are gone. */
  g_assert_cmpint (inc_model_find (m, "conv2d_1"), ==, -1);
  g_assert_cmpint (inc_model_find (m, "batch_normalization_2"), ==, -1);
  g_assert_cmpint (inc_model_find (m, "average_pooling2d_2"), ==, -1);
  g_assert_cmpint (inc_model_find (m, "dense_1"), ==, -1);

  const IncNode *a2 = node (m, "activation_2");
  g_assert_cmpint (a2->kh, ==, 1);
  g_assert_cmpint (a2->kw, ==, 3);
  g_assert_true (a2->same);
  const IncNode *mixed = node (m, "mixed0");
  g_assert_cmpuint (mixed->n_inputs, ==, 3);
  g_assert_cmpuint (mixed->inputs[0], ==, inc_model_find (m, "activation_2"));
  g_assert_cmpuint (mixed->inputs[1], ==, inc_model_find (m, "max_pooling2d_1"));
  g_assert_cmpuint (mixed->inputs[2], ==, inc_model_find (m, "conv2d_3"));

  /* 9x9 input: the valid stride-2 stem gives 4x4, the rest keep it. */
  int h, w;
  inc_node_output_size (node (m, "activation_1"), 9, 9, &h, &w);
  g_assert_cmpint (h, ==, 4);
  g_assert_cmpint (w, ==, 4);
  inc_node_output_size (node (m, "max_pooling2d_1"), 4, 4, &h, &w);
  g_assert_cmpint (h, ==, 4);
  g_assert_cmpint (w, ==, 4);
}

static void
test_import_fused (void)
{
  g_autoptr(Fake) f = fake_new (ENC_FLOAT32);
  build_small (f);
  fake_write_tfjs (f);
  g_autoptr(IncModel) m = import_ok (f->dir);

  check_small_graph (m);
  check_fold (f, m, "activation_1", "conv2d_1", "batch_normalization_1",
              FALSE, FALSE);
  check_fold (f, m, "activation_2", "conv2d_2", "batch_normalization_2",
              TRUE, TRUE);
  check_fold (f, m, "conv2d_3", "conv2d_3", NULL, TRUE, FALSE);
  /* Exactly the trunk's weights: kernels plus one bias per output channel. */
  g_assert_cmpuint (m->n_weights, ==, 3 * 3 * 3 * 4 + 4 + 1 * 3 * 4 * 5 + 5 +
                    3 * 3 * 4 * 2 + 2);

  /* A path to model.json works as well as its directory. */
  g_autofree char *json = fake_path (f, "model.json");
  g_autoptr(IncModel) m2 = import_ok (json);
  g_assert_cmpuint (m2->n_weights, ==, m->n_weights);
  g_assert_cmpmem (m2->weights, m2->n_weights * 4, m->weights, m->n_weights * 4);
}

/* Dequantised weights: conv2d_3 has no BN, so its stored kernel and bias
 * are exactly min + scale * q. */
static void
check_quantised (Enc enc)
{
  g_autoptr(Fake) f = fake_new (enc);
  build_small (f);
  fake_write_tfjs (f);
  g_autoptr(IncModel) m = import_ok (f->dir);

  check_small_graph (m);
  const IncNode *n = node (m, "conv2d_3");
  Tensor *k = find_fake_tensor (f, "conv2d_3/kernel");
  Tensor *b = find_fake_tensor (f, "conv2d_3/bias");
  g_assert_cmpmem (m->weights + n->weight_offset, k->n * 4, k->vals, k->n * 4);
  g_assert_cmpmem (m->weights + n->weight_offset + k->n, b->n * 4, b->vals,
                   b->n * 4);
  /* The values really are spread over the quantisation levels. */
  g_assert_cmpfloat (k->vals[0], !=, k->vals[1]);
  check_fold (f, m, "activation_2", "conv2d_2", "batch_normalization_2",
              TRUE, TRUE);
}

static void
test_import_uint8 (void)
{
  check_quantised (ENC_UINT8);
}

static void
test_import_uint16 (void)
{
  check_quantised (ENC_UINT16);
}

/* ---- the nsfwjs layout -------------------------------------------------- */

/* Rewrites generated JSON the way a minifier prints a JS object. */
static char *
jsify (const char *json)
{
  g_autoptr(GRegex) keys = g_regex_new ("\"([A-Za-z_][A-Za-z0-9_]*)\":", 0, 0,
                                        NULL);
  g_autoptr(GRegex) zeros = g_regex_new ("(?<![0-9.])0\\.(?=[0-9])", 0, 0,
                                         NULL);
  g_autofree char *a = g_regex_replace (keys, json, -1, 0, "\\1:", 0, NULL);
  g_autofree char *b = g_regex_replace_literal (zeros, a, -1, 0, ".", 0, NULL);
  g_autoptr(GString) s = g_string_new (b);
  g_string_replace (s, "true", "!0", 0);
  g_string_replace (s, "false", "!1", 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* A UMD wrapper like the one nsfwjs ships: braces and quotes of its own. */
static char *
umd (const char *global,
     const char *value)
{
  return g_strdup_printf (
    "!function(a){if(\"object\"==typeof exports)module.exports=a();else{"
    "(\"undefined\"!=typeof window?window:this).%s=a()}}(function(){return "
    "function a(n,i,e){function t(o){if(!i[o]){var r=new Error(\"Cannot find "
    "module '\"+o+\"'\");var c=i[o]={exports:{}};n[o][0].call(c.exports,c)}"
    "return i[o].exports}return t}({1:[function(a,n,i){n.exports=%s},{}]},{},"
    "[1])(1)});", global, value);
}

static void
fake_write_nsfwjs (Fake *f)
{
  g_autofree char *json = fake_model_json (f);
  g_autoptr(GString) s = g_string_new (json);
  g_string_replace (s, ".bin\"", "\"", 0);
  g_autofree char *lit = jsify (s->str);
  g_autofree char *js = umd ("model", lit);
  write_file (f, "model.min.js", js, strlen (js));

  g_autoptr(GBytes) all = fake_weight_bytes (f);
  gsize len;
  const guint8 *data = g_bytes_get_data (all, &len);
  gsize cut = len / 2 + 3;
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *b64 = g_base64_encode (data + (i ? cut : 0),
                                              i ? len - cut : cut);
      g_autofree char *quoted = g_strdup_printf ("\"%s\"", b64);
      g_autofree char *shard = umd ("group1_shard", quoted);
      g_autofree char *name = g_strdup_printf ("group1-shard%dof2.min.js",
                                               i + 1);
      write_file (f, name, shard, strlen (shard));
    }
}

static void
test_import_nsfwjs_layout (void)
{
  g_autoptr(Fake) f = fake_new (ENC_UINT8);
  build_small (f);
  fake_write_tfjs (f);
  fake_write_nsfwjs (f);

  /* model.min.js wins in a directory holding both. */
  g_autoptr(IncModel) js = import_ok (f->dir);
  g_assert_true (g_str_has_prefix (js->source, "nsfwjs"));
  g_autofree char *json = fake_path (f, "model.json");
  g_autoptr(IncModel) tfjs = import_ok (json);
  g_assert_true (g_str_has_prefix (tfjs->source, "tfjs"));

  check_small_graph (js);
  g_assert_cmpuint (js->n_weights, ==, tfjs->n_weights);
  g_assert_cmpmem (js->weights, js->n_weights * 4, tfjs->weights,
                   tfjs->n_weights * 4);

  /* A shard whose payload is not base64 is refused. */
  g_autofree char *bad = umd ("group1_shard", "\"not base64!\"");
  write_file (f, "group1-shard2of2.min.js", bad, strlen (bad));
  assert_import_fails (f->dir, INC_MODEL_ERROR_CORRUPT, "base64");

  g_autofree char *shard = fake_path (f, "group1-shard2of2.min.js");
  g_unlink (shard);
  assert_import_fails (f->dir, INC_MODEL_ERROR_MISSING, "group1-shard2of2");
}

static void
test_js_object (void)
{
  const char *js = "{a:!0,b:!1,c:.5,d:-.25,e:1e-3,f:\"x\\\"y\",g:[1,-2.5e+2,"
                   "7.],h:null,'i':'it\\'s',2:{\"q\":\"\\x41\"}}";
  g_autoptr(GError) error = NULL;
  g_autofree char *json = _inc_js_object_to_json (js, strlen (js), &error);
  g_assert_no_error (error);

  g_autoptr(JsonParser) p = json_parser_new ();
  json_parser_load_from_data (p, json, -1, &error);
  g_assert_no_error (error);
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  g_assert_true (json_object_get_boolean_member (o, "a"));
  g_assert_false (json_object_get_boolean_member (o, "b"));
  g_assert_cmpfloat (json_object_get_double_member (o, "c"), ==, 0.5);
  g_assert_cmpfloat (json_object_get_double_member (o, "d"), ==, -0.25);
  g_assert_cmpfloat (json_object_get_double_member (o, "e"), ==, 1e-3);
  g_assert_cmpstr (json_object_get_string_member (o, "f"), ==, "x\"y");
  JsonArray *g = json_object_get_array_member (o, "g");
  g_assert_cmpfloat (json_array_get_double_element (g, 1), ==, -250);
  g_assert_cmpfloat (json_array_get_double_element (g, 2), ==, 7);
  g_assert_true (json_object_get_null_member (o, "h"));
  g_assert_cmpstr (json_object_get_string_member (o, "i"), ==, "it's");
  JsonObject *two = json_object_get_object_member (o, "2");
  g_assert_cmpstr (json_object_get_string_member (two, "q"), ==, "A");

  const char *bad[] = { "{a:function(){}}", "{a:undefined}", "{a:\"open",
                        "{a:0x10}", "{a:1}/*c*/" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_autofree char *out = _inc_js_object_to_json (bad[i], strlen (bad[i]),
                                                     &e);
      g_assert_null (out);
      g_assert_error (e, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT);
    }
}

/* ---- the model file ----------------------------------------------------- */

static void
assert_models_equal (const IncModel *a,
                     const IncModel *b)
{
  g_assert_cmpstr (a->source, ==, b->source);
  g_assert_cmpuint (a->n_nodes, ==, b->n_nodes);
  for (guint i = 0; i < a->n_nodes; i++)
    {
      const IncNode *x = &a->nodes[i], *y = &b->nodes[i];
      g_assert_cmpstr (x->name, ==, y->name);
      g_assert_cmpint (x->op, ==, y->op);
      g_assert_cmpmem (x->inputs, x->n_inputs * sizeof (guint), y->inputs,
                       y->n_inputs * sizeof (guint));
      g_assert_cmpint (x->cin, ==, y->cin);
      g_assert_cmpint (x->cout, ==, y->cout);
      g_assert_cmpint (x->relu, ==, y->relu);
      if (x->op == INC_OP_CONV || x->op == INC_OP_MAXPOOL ||
          x->op == INC_OP_AVGPOOL)
        {
          g_assert_cmpint (x->kh, ==, y->kh);
          g_assert_cmpint (x->kw, ==, y->kw);
          g_assert_cmpint (x->sh, ==, y->sh);
          g_assert_cmpint (x->sw, ==, y->sw);
          g_assert_cmpint (x->same, ==, y->same);
        }
      if (x->op == INC_OP_CONV)
        g_assert_cmpuint (x->weight_offset, ==, y->weight_offset);
    }
  g_assert_cmpmem (a->weights, a->n_weights * 4, b->weights, b->n_weights * 4);
}

static char *
saved_small (Fake      *f,
             IncModel **out)
{
  build_small (f);
  fake_write_tfjs (f);
  g_autoptr(IncModel) m = import_ok (f->dir);
  g_autofree char *path = fake_path (f, "small.incmodel");
  g_autoptr(GError) error = NULL;
  g_assert_true (inc_model_save (m, path, &error));
  g_assert_no_error (error);
  if (out)
    *out = g_steal_pointer (&m);
  return g_steal_pointer (&path);
}

static void
test_round_trip (void)
{
  g_autoptr(Fake) f = fake_new (ENC_FLOAT32);
  g_autoptr(IncModel) m = NULL;
  g_autofree char *path = saved_small (f, &m);
  guint before = count_files (f->dir);

  g_autoptr(GError) error = NULL;
  g_autoptr(IncModel) back = inc_model_load (path, &error);
  g_assert_no_error (error);
  assert_models_equal (m, back);

  /* Saving over an existing file replaces it and leaves nothing else. */
  g_assert_true (inc_model_save (back, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (f->dir), ==, before);

  /* The importer loads .incmodel files as they are. */
  g_autoptr(IncModel) again = import_ok (path);
  assert_models_equal (m, again);
}

static void
assert_load_fails (const char *path,
                   int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(IncModel) m = inc_model_load (path, &error);
  g_assert_null (m);
  g_assert_error (error, INC_MODEL_ERROR, code);
}

/* Writes an .incmodel by hand from a header and n zero weights. */
static void
write_incmodel (const char *path,
                const char *header,
                gsize       n_weights)
{
  g_autoptr(GByteArray) a = g_byte_array_new ();
  g_byte_array_append (a, (const guint8 *) "INCMODL1", 8);
  guint32 len = GUINT32_TO_LE ((guint32) strlen (header));
  g_byte_array_append (a, (const guint8 *) &len, 4);
  g_byte_array_append (a, (const guint8 *) header, (guint) strlen (header));
  while (a->len % 16 != 0)
    g_byte_array_append (a, (const guint8 *) "", 1);
  g_byte_array_set_size (a, a->len + (guint) n_weights * 4);
  g_autoptr(GError) error = NULL;
  g_file_set_contents (path, (const char *) a->data, a->len, &error);
  g_assert_no_error (error);
}

static void
test_load_corrupt (void)
{
  g_autoptr(Fake) f = fake_new (ENC_FLOAT32);
  g_autofree char *path = saved_small (f, NULL);
  g_autofree char *bad = fake_path (f, "bad.incmodel");
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));

  assert_load_fails ("/nonexistent/model.incmodel", INC_MODEL_ERROR_MISSING);

  /* Truncated anywhere: in the weights, in the header, in the preamble. */
  gsize cuts[] = { len - 4, len - 1, 40, 10, 0 };
  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_assert_true (g_file_set_contents (bad, contents, (gssize) cuts[i], NULL));
      assert_load_fails (bad, INC_MODEL_ERROR_CORRUPT);
    }

  /* Trailing bytes, wrong magic, an absurd header length, a broken header. */
  g_autoptr(GByteArray) longer = g_byte_array_new ();
  g_byte_array_append (longer, (guint8 *) contents, (guint) len);
  g_byte_array_append (longer, (const guint8 *) "abcd", 4);
  g_assert_true (g_file_set_contents (bad, (char *) longer->data, longer->len,
                                      NULL));
  assert_load_fails (bad, INC_MODEL_ERROR_CORRUPT);

  g_autofree char *copy = g_memdup2 (contents, len);
  copy[0] = 'X';
  g_assert_true (g_file_set_contents (bad, copy, (gssize) len, NULL));
  assert_load_fails (bad, INC_MODEL_ERROR_CORRUPT);

  memcpy (copy, contents, len);
  copy[11] = 0x7f;
  g_assert_true (g_file_set_contents (bad, copy, (gssize) len, NULL));
  assert_load_fails (bad, INC_MODEL_ERROR_CORRUPT);

  memcpy (copy, contents, len);
  copy[12] = '[';
  copy[20] = '}';
  g_assert_true (g_file_set_contents (bad, copy, (gssize) len, NULL));
  assert_load_fails (bad, INC_MODEL_ERROR_CORRUPT);

  /* Well-formed JSON that breaks the rules. */
  const struct {
    const char *header;
    gsize       n;
  } cases[] = {
    /* input used before it is defined */
    { "{\"format\":1,\"nodes\":[{\"name\":\"p\",\"op\":\"maxpool\","
      "\"inputs\":[\"x\"],\"kernel\":[3,3],\"strides\":[1,1],\"padding\":"
      "\"same\"},{\"name\":\"x\",\"op\":\"input\",\"inputs\":[]}],"
      "\"n_weights\":0}", 0 },
    /* weights beyond n_weights: 1*1*3*4 + 4 = 16 > 15 */
    { "{\"format\":1,\"nodes\":[{\"name\":\"x\",\"op\":\"input\",\"inputs\":[]},"
      "{\"name\":\"c\",\"op\":\"conv\",\"inputs\":[\"x\"],\"kernel\":[1,1],"
      "\"strides\":[1,1],\"padding\":\"same\",\"filters\":4,\"relu\":true,"
      "\"weight_offset\":0}],\"n_weights\":15}", 15 },
    /* unknown op, unknown format, repeated name, conv with two inputs */
    { "{\"format\":1,\"nodes\":[{\"name\":\"x\",\"op\":\"lstm\",\"inputs\":[]}],"
      "\"n_weights\":0}", 0 },
    { "{\"format\":2,\"nodes\":[{\"name\":\"x\",\"op\":\"input\",\"inputs\":[]}],"
      "\"n_weights\":0}", 0 },
    { "{\"format\":1,\"nodes\":[{\"name\":\"x\",\"op\":\"input\",\"inputs\":[]},"
      "{\"name\":\"x\",\"op\":\"input\",\"inputs\":[]}],\"n_weights\":0}", 0 },
    { "{\"format\":1,\"nodes\":[{\"name\":\"x\",\"op\":\"input\",\"inputs\":[]},"
      "{\"name\":\"c\",\"op\":\"conv\",\"inputs\":[\"x\",\"x\"],\"kernel\":[1,1],"
      "\"strides\":[1,1],\"padding\":\"same\",\"filters\":1,\"relu\":true,"
      "\"weight_offset\":0}],\"n_weights\":4}", 4 },
    /* a pool with a bad padding name, n_weights not matching the file */
    { "{\"format\":1,\"nodes\":[{\"name\":\"x\",\"op\":\"input\",\"inputs\":[]},"
      "{\"name\":\"p\",\"op\":\"avgpool\",\"inputs\":[\"x\"],\"kernel\":[3,3],"
      "\"strides\":[1,1],\"padding\":\"full\"}],\"n_weights\":0}", 0 },
    { "{\"format\":1,\"nodes\":[{\"name\":\"x\",\"op\":\"input\",\"inputs\":[]}],"
      "\"n_weights\":8}", 4 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      write_incmodel (bad, cases[i].header, cases[i].n);
      assert_load_fails (bad, INC_MODEL_ERROR_CORRUPT);
    }

  /* The same hand-written layout does load when it is right, and the
   * concat's channels are summed from its inputs. */
  write_incmodel (bad,
    "{\"format\":1,\"nodes\":[{\"name\":\"x\",\"op\":\"input\",\"inputs\":[]},"
    "{\"name\":\"c\",\"op\":\"conv\",\"inputs\":[\"x\"],\"kernel\":[1,1],"
    "\"strides\":[1,1],\"padding\":\"same\",\"filters\":4,\"relu\":true,"
    "\"weight_offset\":0},{\"name\":\"m\",\"op\":\"concat\",\"inputs\":"
    "[\"c\",\"x\"]}],\"n_weights\":16}", 16);
  g_autoptr(GError) error = NULL;
  g_autoptr(IncModel) ok = inc_model_load (bad, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ok->nodes[1].cin, ==, 3);
  g_assert_cmpint (ok->nodes[2].cout, ==, 7);
}

static void
test_save_fails_cleanly (void)
{
  g_autoptr(Fake) f = fake_new (ENC_FLOAT32);
  g_autoptr(IncModel) m = NULL;
  g_autofree char *path = saved_small (f, &m);
  g_autoptr(GError) error = NULL;

  /* No such directory. */
  g_autofree char *nodir = g_build_filename (f->dir, "no", "such.incmodel",
                                             NULL);
  g_assert_false (inc_model_save (m, nodir, &error));
  g_assert_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_IO);
  g_clear_error (&error);

  /* The target is a directory: the rename fails and the temporary file
   * must not stay behind. */
  g_autofree char *sub = fake_path (f, "sub");
  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  g_autofree char *target = g_build_filename (sub, "x.incmodel", NULL);
  g_assert_cmpint (g_mkdir (target, 0755), ==, 0);
  g_assert_false (inc_model_save (m, target, &error));
  g_assert_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_IO);
  g_assert_cmpuint (count_files (sub), ==, 1);
}

/* ---- import errors ------------------------------------------------------ */

static void
test_import_errors (void)
{
  assert_import_fails ("/nonexistent/model", INC_MODEL_ERROR_MISSING, NULL);

  {
    /* Truncated shard: one byte short. */
    g_autoptr(Fake) f = fake_new (ENC_UINT8);
    build_small (f);
    fake_write_tfjs (f);
    g_autofree char *shard = fake_path (f, "group1-shard2of2.bin");
    g_autofree char *data = NULL;
    gsize len;
    g_assert_true (g_file_get_contents (shard, &data, &len, NULL));
    g_assert_true (g_file_set_contents (shard, data, (gssize) len - 1, NULL));
    assert_import_fails (f->dir, INC_MODEL_ERROR_CORRUPT, "too short");

    /* ... or one byte long. */
    g_autofree char *longer = g_malloc (len + 1);
    memcpy (longer, data, len);
    longer[len] = 'x';
    g_assert_true (g_file_set_contents (shard, longer, (gssize) len + 1, NULL));
    assert_import_fails (f->dir, INC_MODEL_ERROR_CORRUPT, NULL);

    /* Missing shard. */
    g_unlink (shard);
    assert_import_fails (f->dir, INC_MODEL_ERROR_MISSING, "group1-shard2of2");

    /* Bad JSON. */
    g_autofree char *json = fake_path (f, "model.json");
    g_assert_true (g_file_set_contents (json, "{\"modelTopology\": [", -1, NULL));
    assert_import_fails (f->dir, INC_MODEL_ERROR_CORRUPT, NULL);
    g_assert_true (g_file_set_contents (json, "[1, 2]", -1, NULL));
    assert_import_fails (json, INC_MODEL_ERROR_CORRUPT, NULL);

    /* tfjs graph models are a different thing altogether. */
    g_assert_true (g_file_set_contents (json, "{\"format\": \"graph-model\", "
                                        "\"modelTopology\": {}, "
                                        "\"weightsManifest\": []}", -1, NULL));
    assert_import_fails (f->dir, INC_MODEL_ERROR_UNSUPPORTED, "graph-model");
  }
  {
    /* Unknown layer type, named with its layer. */
    g_autoptr(Fake) f = fake_new (ENC_FLOAT32);
    build_small (f);
    add_layer (f, "LSTM", "lstm_1", "mixed0", NULL);
    fake_write_tfjs (f);
    assert_import_fails (f->dir, INC_MODEL_ERROR_UNSUPPORTED, "lstm_1");
    assert_import_fails (f->dir, INC_MODEL_ERROR_UNSUPPORTED, "LSTM");
  }
  {
    /* A kernel whose shape does not match the topology. */
    g_autoptr(Fake) f = fake_new (ENC_FLOAT32);
    build_small (f);
    /* Same size, so the shards still match the manifest. */
    Tensor *k = find_fake_tensor (f, "conv2d_2/kernel");
    k->shape[0] = 3;
    k->shape[1] = 1;
    fake_write_tfjs (f);
    assert_import_fails (f->dir, INC_MODEL_ERROR_SHAPE, "conv2d_2/kernel");
  }
  {
    /* A missing BN tensor. */
    g_autoptr(Fake) f = fake_new (ENC_FLOAT32);
    build_small (f);
    Tensor *t = find_fake_tensor (f, "batch_normalization_1/moving_mean");
    g_free (t->name);
    t->name = g_strdup ("batch_normalization_1/other");
    fake_write_tfjs (f);
    assert_import_fails (f->dir, INC_MODEL_ERROR_SHAPE,
                         "batch_normalization_1/moving_mean");
  }
  {
    /* A BatchNormalization that does not follow a conv cannot be folded. */
    g_autoptr(Fake) f = fake_new (ENC_FLOAT32);
    add_input (f, "input_1", 3);
    add_pool (f, "MaxPooling2D", "max_pooling2d_1", "input_1", 2, 2, "valid");
    add_bn (f, "batch_normalization_1", "max_pooling2d_1", 3, FALSE);
    fake_write_tfjs (f);
    assert_import_fails (f->dir, INC_MODEL_ERROR_UNSUPPORTED,
                         "batch_normalization_1");
  }
  {
    /* Nor a relu on a conv whose output something else also reads. */
    g_autoptr(Fake) f = fake_new (ENC_FLOAT32);
    add_input (f, "input_1", 3);
    add_conv (f, "conv2d_1", "input_1", 3, 1, 1, 1, "same", 2, TRUE, "linear");
    add_activation (f, "activation_1", "conv2d_1", "relu");
    add_layer (f, "Concatenate", "mixed0", "activation_1", "conv2d_1", NULL);
    fake_write_tfjs (f);
    assert_import_fails (f->dir, INC_MODEL_ERROR_UNSUPPORTED, "activation_1");
  }
  {
    /* A softmax inside the trunk is refused; a linear one is dropped. */
    g_autoptr(Fake) f = fake_new (ENC_FLOAT32);
    add_input (f, "input_1", 3);
    add_conv (f, "conv2d_1", "input_1", 3, 1, 1, 1, "same", 2, TRUE, "linear");
    add_activation (f, "activation_1", "conv2d_1", "linear");
    add_pool (f, "MaxPooling2D", "max_pooling2d_1", "activation_1", 2, 2,
              "valid");
    fake_write_tfjs (f);
    g_autoptr(IncModel) m = import_ok (f->dir);
    g_assert_cmpuint (m->n_nodes, ==, 3);
    g_assert_cmpuint (m->nodes[2].inputs[0], ==, 1);
    g_assert_false (m->nodes[1].relu);

    add_activation (f, "activation_2", "max_pooling2d_1", "softmax");
    add_pool (f, "MaxPooling2D", "max_pooling2d_2", "activation_2", 2, 2,
              "valid");
    fake_write_tfjs (f);
    assert_import_fails (f->dir, INC_MODEL_ERROR_UNSUPPORTED, "softmax");
  }
  {
    /* A directory with no model in it. */
    g_autoptr(Fake) f = fake_new (ENC_FLOAT32);
    assert_import_fails (f->dir, INC_MODEL_ERROR_UNSUPPORTED, NULL);
  }
}

/* ---- shape rules ---------------------------------------------------------- */

static void
test_shape_rules (void)
{
  IncNode n = { .op = INC_OP_CONV, .kh = 3, .kw = 3, .sh = 2, .sw = 2 };
  int h, w, t, l;

  /* 'valid': (in - k) / s + 1, no padding. */
  inc_node_output_size (&n, 299, 300, &h, &w);
  g_assert_cmpint (h, ==, 149);
  g_assert_cmpint (w, ==, 149);
  inc_node_padding (&n, 299, 300, &t, &l);
  g_assert_cmpint (t, ==, 0);
  g_assert_cmpint (l, ==, 0);

  /* 'same' stride 2: ceil(in / s); TF puts the odd pixel after. */
  n.same = TRUE;
  inc_node_output_size (&n, 35, 36, &h, &w);
  g_assert_cmpint (h, ==, 18);
  g_assert_cmpint (w, ==, 18);
  inc_node_padding (&n, 35, 36, &t, &l);
  g_assert_cmpint (t, ==, 1);   /* total 2 */
  g_assert_cmpint (l, ==, 0);   /* total 1 */

  /* 'same' stride 1 with a 1x7 kernel: (k-1)/2 before. */
  n.kh = 1;
  n.kw = 7;
  n.sh = n.sw = 1;
  inc_node_output_size (&n, 17, 17, &h, &w);
  g_assert_cmpint (h, ==, 17);
  g_assert_cmpint (w, ==, 17);
  inc_node_padding (&n, 17, 17, &t, &l);
  g_assert_cmpint (t, ==, 0);
  g_assert_cmpint (l, ==, 3);

  /* Concat and input keep the size. */
  IncNode c = { .op = INC_OP_CONCAT };
  inc_node_output_size (&c, 8, 9, &h, &w);
  g_assert_cmpint (h, ==, 8);
  g_assert_cmpint (w, ==, 9);
}

static void
test_default_path (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("INCEPTIONIST_MODEL"));

  g_setenv ("INCEPTIONIST_MODEL", "/somewhere/m.incmodel", TRUE);
  g_autofree char *a = inc_model_default_path ();
  g_assert_cmpstr (a, ==, "/somewhere/m.incmodel");

  g_unsetenv ("INCEPTIONIST_MODEL");
  g_autofree char *b = inc_model_default_path ();
  g_autofree char *want = g_build_filename (g_get_user_data_dir (),
                                            "inceptionist", "models",
                                            "inception_v3.incmodel", NULL);
  g_assert_cmpstr (b, ==, want);

  if (saved)
    g_setenv ("INCEPTIONIST_MODEL", saved, TRUE);
}

/* ---- the real nsfwjs InceptionV3 ---------------------------------------- */

static void
test_real_nsfwjs (void)
{
  const char *dir = g_getenv ("INCEPTIONIST_NSFWJS_DIR");
  if (dir == NULL || *dir == '\0')
    {
      g_test_skip ("INCEPTIONIST_NSFWJS_DIR is not set");
      return;
    }
  g_autoptr(IncModel) m = import_ok (dir);

  /* 94 conv+BN+relu triples fold to 94 convs; with the input, 4 max pools,
   * 9 trunk average pools and 15 concats that is 123 nodes. */
  guint convs = 0;
  for (guint i = 0; i < m->n_nodes; i++)
    if (m->nodes[i].op == INC_OP_CONV)
      {
        convs++;
        g_assert_true (m->nodes[i].relu);
        g_assert_true (g_str_has_prefix (m->nodes[i].name, "activation_"));
      }
  g_assert_cmpuint (convs, ==, 94);
  g_assert_cmpuint (m->n_nodes, ==, 123);

  /* Propagate a 299x299 input through the graph. */
  g_autofree int *hh = g_new (int, m->n_nodes);
  g_autofree int *ww = g_new (int, m->n_nodes);
  for (guint i = 0; i < m->n_nodes; i++)
    {
      const IncNode *n = &m->nodes[i];
      if (n->op == INC_OP_INPUT)
        {
          hh[i] = ww[i] = 299;
          g_assert_cmpint (n->cout, ==, 3);
          continue;
        }
      for (guint j = 1; j < n->n_inputs; j++)
        {
          g_assert_cmpint (hh[n->inputs[j]], ==, hh[n->inputs[0]]);
          g_assert_cmpint (ww[n->inputs[j]], ==, ww[n->inputs[0]]);
        }
      inc_node_output_size (n, hh[n->inputs[0]], ww[n->inputs[0]], &hh[i],
                            &ww[i]);
    }

  static const struct {
    const char *name;
    int         size, channels;
  } want[] = {
    { "mixed0", 35, 256 }, { "mixed1", 35, 288 }, { "mixed2", 35, 288 },
    { "mixed3", 17, 768 }, { "mixed4", 17, 768 }, { "mixed5", 17, 768 },
    { "mixed6", 17, 768 }, { "mixed7", 17, 768 }, { "mixed8", 8, 1280 },
    { "mixed9", 8, 2048 }, { "mixed10", 8, 2048 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      int k = inc_model_find (m, want[i].name);
      g_assert_cmpint (k, >=, 0);
      g_assert_cmpint (m->nodes[k].op, ==, INC_OP_CONCAT);
      g_assert_cmpint (hh[k], ==, want[i].size);
      g_assert_cmpint (ww[k], ==, want[i].size);
      g_assert_cmpint (m->nodes[k].cout, ==, want[i].channels);
    }
  /* The classifier's 8x8 average pool went with the head. */
  g_assert_cmpint (inc_model_find (m, "average_pooling2d_10"), ==, -1);
  g_assert_cmpstr (m->nodes[m->n_nodes - 1].name, ==, "mixed10");

  /* Weights are finite and nothing is left over. */
  gsize used = 0;
  for (guint i = 0; i < m->n_nodes; i++)
    if (m->nodes[i].op == INC_OP_CONV)
      {
        const IncNode *n = &m->nodes[i];
        g_assert_cmpuint (n->weight_offset, ==, used);
        used += (gsize) n->kh * n->kw * n->cin * n->cout + (gsize) n->cout;
      }
  g_assert_cmpuint (used, ==, m->n_weights);
  for (gsize i = 0; i < m->n_weights; i++)
    if (!isfinite (m->weights[i]))
      g_error ("weight %zu is not finite", i);

  /* And the file survives a round trip. */
  g_autofree char *tmp = g_dir_make_tmp ("test-model-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (tmp, "v3.incmodel", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true (inc_model_save (m, path, &error));
  g_autoptr(IncModel) back = inc_model_load (path, &error);
  g_assert_no_error (error);
  assert_models_equal (m, back);
  g_unlink (path);
  g_rmdir (tmp);
}

/* ---- import-model ------------------------------------------------------- */

static int
run_cli (const char *const *args,
         char             **out,
         char             **err)
{
  const char *cli = g_getenv ("INCEPTIONIST_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  int status;
  g_autoptr(GError) error = NULL;
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                out, err, &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_cli (void)
{
  const char *cli = g_getenv ("INCEPTIONIST_CLI");
  if (cli == NULL || !g_file_test (cli, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("INCEPTIONIST_CLI is not set");
      return;
    }
  g_autoptr(Fake) f = fake_new (ENC_UINT8);
  build_small (f);
  fake_write_tfjs (f);
  g_autofree char *outdir = fake_path (f, "out");
  g_autofree char *out = g_build_filename (outdir, "deep", "m.incmodel", NULL);

  g_autofree char *o1 = NULL, *e1 = NULL;
  const char *ok_args[] = { "import-model", f->dir, "-o", out, NULL };
  g_assert_cmpint (run_cli (ok_args, &o1, &e1), ==, 0);
  g_assert_nonnull (strstr (o1, out));
  g_assert_nonnull (strstr (o1, "nodes=7"));
  g_autoptr(GError) error = NULL;
  g_autoptr(IncModel) m = inc_model_load (out, &error);
  g_assert_no_error (error);
  check_small_graph (m);

  /* A broken source: exit 1, one line on stderr, the old output untouched
   * and no temporary file beside it. */
  g_autofree char *shard = fake_path (f, "group1-shard1of2.bin");
  g_assert_true (g_file_set_contents (shard, "x", 1, NULL));
  g_autofree char *before = NULL, *after = NULL;
  gsize n_before, n_after;
  g_assert_true (g_file_get_contents (out, &before, &n_before, NULL));
  g_autofree char *o2 = NULL, *e2 = NULL;
  g_assert_cmpint (run_cli (ok_args, &o2, &e2), ==, 1);
  g_assert_true (g_str_has_prefix (e2, "inceptionist-cli: "));
  g_assert_nonnull (strchr (e2, '\n'));
  g_assert_cmpstr (strchr (e2, '\n') + 1, ==, "");
  g_assert_true (g_file_get_contents (out, &after, &n_after, NULL));
  g_assert_cmpmem (before, n_before, after, n_after);
  g_autofree char *deep = g_path_get_dirname (out);
  g_assert_cmpuint (count_files (deep), ==, 1);

  /* A missing source and a missing argument. */
  g_autofree char *fresh = g_build_filename (outdir, "fresh.incmodel", NULL);
  const char *missing[] = { "import-model", "/nonexistent", "-o", fresh, NULL };
  g_autofree char *o3 = NULL, *e3 = NULL;
  g_assert_cmpint (run_cli (missing, &o3, &e3), ==, 1);
  g_assert_false (g_file_test (fresh, G_FILE_TEST_EXISTS));
  const char *none[] = { "import-model", NULL };
  g_autofree char *o4 = NULL, *e4 = NULL;
  g_assert_cmpint (run_cli (none, &o4, &e4), ==, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/model/import/fused", test_import_fused);
  g_test_add_func ("/model/import/uint8", test_import_uint8);
  g_test_add_func ("/model/import/uint16", test_import_uint16);
  g_test_add_func ("/model/import/nsfwjs-layout", test_import_nsfwjs_layout);
  g_test_add_func ("/model/import/js-object", test_js_object);
  g_test_add_func ("/model/import/errors", test_import_errors);
  g_test_add_func ("/model/file/round-trip", test_round_trip);
  g_test_add_func ("/model/file/corrupt", test_load_corrupt);
  g_test_add_func ("/model/file/save-fails-cleanly", test_save_fails_cleanly);
  g_test_add_func ("/model/shape-rules", test_shape_rules);
  g_test_add_func ("/model/default-path", test_default_path);
  g_test_add_func ("/model/nsfwjs/inception-v3", test_real_nsfwjs);
  g_test_add_func ("/model/cli/import-model", test_cli);

  return g_test_run ();
}
