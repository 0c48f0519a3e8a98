/* model-keras.c: a Keras layers-model topology + weights -> fused IncModel.
 *
 * The graph is walked generically through each layer's inbound_nodes:
 * Conv2D becomes a CONV node; a BatchNormalization or ReLU that is the only
 * consumer of such a node is folded into it, and the node then carries the
 * name of the last layer folded in (so "activation_5" names the conv that
 * activation ends). Pools and Concatenate map one to one. The classifier
 * head (Dense, Dropout, Flatten, global pools, and pools that only feed
 * them) is dropped; anything else is refused with the layer's name.
 */
#include "core/model-import.h"

#include <math.h>
#include <string.h>

typedef enum {
  CLS_INPUT,
  CLS_CONV,
  CLS_BN,
  CLS_ACTIVATION,
  CLS_RELU,
  CLS_MAXPOOL,
  CLS_AVGPOOL,
  CLS_CONCAT,
  CLS_HEAD,
} LayerClass;

static const struct {
  const char *name;
  LayerClass  cls;
} class_table[] = {
  { "InputLayer", CLS_INPUT },
  { "Conv2D", CLS_CONV },
  { "Convolution2D", CLS_CONV },
  { "BatchNormalization", CLS_BN },
  { "Activation", CLS_ACTIVATION },
  { "ReLU", CLS_RELU },
  { "MaxPooling2D", CLS_MAXPOOL },
  { "MaxPool2D", CLS_MAXPOOL },
  { "AveragePooling2D", CLS_AVGPOOL },
  { "AvgPool2D", CLS_AVGPOOL },
  { "Concatenate", CLS_CONCAT },
  { "Dense", CLS_HEAD },
  { "Dropout", CLS_HEAD },
  { "Flatten", CLS_HEAD },
  { "Softmax", CLS_HEAD },
  { "GlobalAveragePooling2D", CLS_HEAD },
  { "GlobalAvgPool2D", CLS_HEAD },
  { "GlobalMaxPooling2D", CLS_HEAD },
  { "GlobalMaxPool2D", CLS_HEAD },
};

typedef struct {
  const char  *name;
  const char  *class_name;
  LayerClass   cls;
  JsonObject  *config;
  GPtrArray   *inputs;     /* layer indices, as GUINT_TO_POINTER */
  GPtrArray   *consumers;  /* likewise */
  gboolean     head;
} Layer;

typedef struct {
  GArray      *layers;     /* Layer */
  GHashTable  *by_name;    /* layer name -> index + 1 */
  GHashTable  *tensors;
  GArray      *nodes;      /* IncNode */
  GArray      *weights;    /* float */
  int         *node_of;    /* layer index -> node index, or -1 */
} Builder;

#define unsupported(error, ...) \
  _inc_model_fail ((error), INC_MODEL_ERROR_UNSUPPORTED, __VA_ARGS__)

#define bad_topology(error, format, ...) \
  _inc_model_fail ((error), INC_MODEL_ERROR_CORRUPT, "bad model topology: " format, ##__VA_ARGS__)

/* ---- small JSON readers ----------------------------------------------- */

static gboolean
json_int (JsonNode *n,
          gint64   *out)
{
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  if (json_node_get_value_type (n) == G_TYPE_INT64)
    {
      *out = json_node_get_int (n);
      return TRUE;
    }
  if (json_node_get_value_type (n) == G_TYPE_DOUBLE)
    {
      double d = json_node_get_double (n);
      if (d != floor (d) || fabs (d) > 1e9)
        return FALSE;
      *out = (gint64) d;
      return TRUE;
    }
  return FALSE;
}

/* A positive pair such as kernel_size; a single integer means (v, v). */
static gboolean
config_pair (JsonObject *config,
             const char *member,
             int        *a,
             int        *b)
{
  JsonNode *n = json_object_get_member (config, member);
  gint64 v[2];
  if (n != NULL && JSON_NODE_HOLDS_ARRAY (n))
    {
      JsonArray *arr = json_node_get_array (n);
      if (json_array_get_length (arr) != 2 ||
          !json_int (json_array_get_element (arr, 0), &v[0]) ||
          !json_int (json_array_get_element (arr, 1), &v[1]))
        return FALSE;
    }
  else if (json_int (n, &v[0]))
    v[1] = v[0];
  else
    return FALSE;
  if (v[0] < 1 || v[1] < 1 || v[0] > 4096 || v[1] > 4096)
    return FALSE;
  *a = (int) v[0];
  *b = (int) v[1];
  return TRUE;
}

static gboolean
config_bool (JsonObject *config,
             const char *member,
             gboolean    fallback)
{
  JsonNode *n = json_object_get_member (config, member);
  if (n != NULL && JSON_NODE_HOLDS_VALUE (n) &&
      json_node_get_value_type (n) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (n);
  return fallback;
}

static gboolean
config_double (JsonObject *config,
               const char *member,
               double      fallback,
               double     *out)
{
  JsonNode *n = json_object_get_member (config, member);
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    {
      *out = fallback;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (n) ||
      (json_node_get_value_type (n) != G_TYPE_DOUBLE &&
       json_node_get_value_type (n) != G_TYPE_INT64))
    return FALSE;
  *out = json_node_get_double (n);
  return TRUE;
}

/* The channel axis of a 4-D NHWC tensor: -1 or 3 (possibly as [3]). */
static gboolean
config_channel_axis (JsonObject *config,
                     const char *member)
{
  JsonNode *n = json_object_get_member (config, member);
  gint64 axis;
  if (n != NULL && JSON_NODE_HOLDS_ARRAY (n) &&
      json_array_get_length (json_node_get_array (n)) == 1)
    n = json_array_get_element (json_node_get_array (n), 0);
  if (n == NULL)
    return TRUE;   /* Keras's default is -1 */
  return json_int (n, &axis) && (axis == -1 || axis == 3);
}

static gboolean
channels_last (JsonObject *config)
{
  const char *f = _inc_json_string (config, "data_format", "channels_last");
  JsonNode *n = json_object_get_member (config, "data_format");
  return (n != NULL && JSON_NODE_HOLDS_NULL (n)) ||
         g_strcmp0 (f, "channels_last") == 0;
}

/* ---- reading the layer list ------------------------------------------- */

/* The producer name of one inbound entry: ["name", 0, 0, {}] (Keras 2) or a
 * keras tensor {"config": {"keras_history": ["name", 0, 0]}} (Keras 3). */
static const char *
inbound_name (JsonNode *entry)
{
  if (entry != NULL && JSON_NODE_HOLDS_OBJECT (entry))
    {
      JsonObject *o = json_node_get_object (entry);
      JsonNode *c = json_object_get_member (o, "config");
      if (c == NULL || !JSON_NODE_HOLDS_OBJECT (c))
        return NULL;
      entry = json_object_get_member (json_node_get_object (c),
                                      "keras_history");
    }
  if (entry == NULL || !JSON_NODE_HOLDS_ARRAY (entry))
    return NULL;
  JsonArray *arr = json_node_get_array (entry);
  gint64 node_index = 0, tensor_index = 0;
  if (json_array_get_length (arr) < 1 ||
      (json_array_get_length (arr) >= 3 &&
       (!json_int (json_array_get_element (arr, 1), &node_index) ||
        !json_int (json_array_get_element (arr, 2), &tensor_index))))
    return NULL;
  /* Shared layers and multi-output layers have no place in this graph. */
  if (node_index != 0 || tensor_index != 0)
    return NULL;
  JsonNode *first = json_array_get_element (arr, 0);
  if (!JSON_NODE_HOLDS_VALUE (first) ||
      json_node_get_value_type (first) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (first);
}

static gboolean
add_input (Builder    *b,
           Layer      *layer,
           const char *name,
           GError    **error)
{
  gpointer idx = name ? g_hash_table_lookup (b->by_name, name) : NULL;
  if (idx == NULL)
    return bad_topology (error, "layer %s takes an input that is not an "
                         "earlier layer", layer->name);
  g_ptr_array_add (layer->inputs, GUINT_TO_POINTER (GPOINTER_TO_UINT (idx) - 1));
  return TRUE;
}

static gboolean
read_inbound (Builder    *b,
              Layer      *layer,
              JsonObject *obj,
              GError    **error)
{
  JsonNode *n = json_object_get_member (obj, "inbound_nodes");
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    return bad_topology (error, "layer %s has no inbound_nodes", layer->name);
  JsonArray *calls = json_node_get_array (n);
  guint n_calls = json_array_get_length (calls);
  if (n_calls == 0)
    return TRUE;
  if (n_calls > 1)
    return unsupported (error, "layer %s is shared (called %u times); shared "
                        "layers are not supported", layer->name, n_calls);

  JsonNode *call = json_array_get_element (calls, 0);
  JsonArray *entries = NULL;
  if (JSON_NODE_HOLDS_ARRAY (call))
    entries = json_node_get_array (call);
  else if (JSON_NODE_HOLDS_OBJECT (call))
    {
      /* Keras 3: {"args": [tensor or [tensors]], "kwargs": {}} */
      JsonNode *args = json_object_get_member (json_node_get_object (call),
                                               "args");
      if (args != NULL && JSON_NODE_HOLDS_ARRAY (args) &&
          json_array_get_length (json_node_get_array (args)) >= 1)
        {
          JsonNode *a0 = json_array_get_element (json_node_get_array (args), 0);
          if (JSON_NODE_HOLDS_ARRAY (a0))
            entries = json_node_get_array (a0);
          else
            entries = json_node_get_array (args);
        }
    }
  if (entries == NULL)
    return bad_topology (error, "layer %s has malformed inbound_nodes",
                         layer->name);
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      const char *name = inbound_name (json_array_get_element (entries, i));
      if (name == NULL)
        return unsupported (error, "layer %s has an input this importer does "
                            "not understand (shared or multi-output layer?)",
                            layer->name);
      if (!add_input (b, layer, name, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_layer (Builder    *b,
            JsonNode   *node,
            gboolean    sequential,
            GError    **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad_topology (error, "a layer is not an object");
  JsonObject *obj = json_node_get_object (node);
  JsonNode *cfg = json_object_get_member (obj, "config");
  if (cfg == NULL || !JSON_NODE_HOLDS_OBJECT (cfg))
    return bad_topology (error, "a layer has no config");

  Layer layer = { 0 };
  layer.config = json_node_get_object (cfg);
  layer.name = _inc_json_string (obj, "name", NULL);
  if (layer.name == NULL)
    layer.name = _inc_json_string (layer.config, "name", NULL);
  layer.class_name = _inc_json_string (obj, "class_name", NULL);
  if (layer.name == NULL || *layer.name == '\0' || layer.class_name == NULL)
    return bad_topology (error, "a layer lacks a name or class_name");
  if (g_hash_table_contains (b->by_name, layer.name))
    return bad_topology (error, "layer name %s is repeated", layer.name);

  guint k;
  for (k = 0; k < G_N_ELEMENTS (class_table); k++)
    if (g_str_equal (layer.class_name, class_table[k].name))
      break;
  if (k == G_N_ELEMENTS (class_table))
    return unsupported (error, "layer %s has type %s, which is not supported",
                        layer.name, layer.class_name);
  layer.cls = class_table[k].cls;
  layer.inputs = g_ptr_array_new ();
  layer.consumers = g_ptr_array_new ();
  guint index = b->layers->len;
  g_array_append_val (b->layers, layer);
  g_hash_table_insert (b->by_name, (gpointer) layer.name,
                       GUINT_TO_POINTER (index + 1));
  Layer *l = &g_array_index (b->layers, Layer, index);

  if (sequential)
    {
      if (index > 0 && l->cls != CLS_INPUT)
        g_ptr_array_add (l->inputs, GUINT_TO_POINTER (index - 1));
    }
  else if (!read_inbound (b, l, obj, error))
    return FALSE;

  if ((l->cls == CLS_INPUT) != (l->inputs->len == 0))
    return bad_topology (error, "layer %s has %u inputs", l->name,
                         l->inputs->len);
  if (l->cls != CLS_CONCAT && l->inputs->len > 1)
    return unsupported (error, "layer %s (%s) takes %u inputs", l->name,
                        l->class_name, l->inputs->len);
  return TRUE;
}

/* Sequential models may start without an InputLayer: Keras then keeps the
 * input shape on the first layer and names the input "<first>_input". */
static void
add_implicit_input (Builder  *b,
                    JsonNode *first)
{
  if (first == NULL || !JSON_NODE_HOLDS_OBJECT (first))
    return;
  JsonObject *obj = json_node_get_object (first);
  if (g_strcmp0 (_inc_json_string (obj, "class_name", NULL), "InputLayer") == 0)
    return;
  JsonNode *cfg = json_object_get_member (obj, "config");
  if (cfg == NULL || !JSON_NODE_HOLDS_OBJECT (cfg))
    return;
  const char *name = _inc_json_string (json_node_get_object (cfg), "name", "");
  g_autofree char *input_name = g_strconcat (name ? name : "", "_input", NULL);
  Layer layer = { 0 };
  layer.name = g_intern_string (input_name);
  layer.class_name = "InputLayer";
  layer.cls = CLS_INPUT;
  layer.config = json_node_get_object (cfg);
  layer.inputs = g_ptr_array_new ();
  layer.consumers = g_ptr_array_new ();
  g_array_append_val (b->layers, layer);
  g_hash_table_insert (b->by_name, (gpointer) layer.name, GUINT_TO_POINTER (1));
}

static gboolean
read_layers (Builder  *b,
             JsonNode *topology,
             GError  **error)
{
  if (topology == NULL || !JSON_NODE_HOLDS_OBJECT (topology))
    return bad_topology (error, "modelTopology is not an object");
  JsonObject *top = json_node_get_object (topology);
  JsonNode *mc = json_object_get_member (top, "model_config");
  JsonObject *model_config = top;
  if (mc != NULL && JSON_NODE_HOLDS_OBJECT (mc))
    model_config = json_node_get_object (mc);

  const char *cls = _inc_json_string (model_config, "class_name", NULL);
  gboolean sequential = g_strcmp0 (cls, "Sequential") == 0;
  if (!sequential && g_strcmp0 (cls, "Model") != 0 &&
      g_strcmp0 (cls, "Functional") != 0)
    return unsupported (error, "model class %s is not supported; expected "
                        "Model, Functional or Sequential",
                        cls ? cls : "(none)");

  JsonNode *config = json_object_get_member (model_config, "config");
  JsonNode *layers = NULL;
  if (config != NULL && JSON_NODE_HOLDS_ARRAY (config))
    layers = config;   /* old Sequential: config is the layer list */
  else if (config != NULL && JSON_NODE_HOLDS_OBJECT (config))
    layers = json_object_get_member (json_node_get_object (config), "layers");
  if (layers == NULL || !JSON_NODE_HOLDS_ARRAY (layers))
    return bad_topology (error, "no layer list");

  JsonArray *arr = json_node_get_array (layers);
  if (sequential && json_array_get_length (arr) > 0)
    add_implicit_input (b, json_array_get_element (arr, 0));
  for (guint i = 0; i < json_array_get_length (arr); i++)
    if (!read_layer (b, json_array_get_element (arr, i), sequential, error))
      return FALSE;
  if (b->layers->len == 0)
    return bad_topology (error, "no layers");
  return TRUE;
}

/* Marks the classifier head: head layers, everything downstream of them,
 * and pools whose every consumer is head (the classifier's own pooling). */
static void
mark_head (Builder *b)
{
  for (guint i = 0; i < b->layers->len; i++)
    {
      Layer *l = &g_array_index (b->layers, Layer, i);
      l->head = l->cls == CLS_HEAD;
      for (guint j = 0; j < l->inputs->len; j++)
        {
          guint in = GPOINTER_TO_UINT (l->inputs->pdata[j]);
          Layer *p = &g_array_index (b->layers, Layer, in);
          l->head |= p->head;
          g_ptr_array_add (p->consumers, GUINT_TO_POINTER (i));
        }
    }
  for (guint i = b->layers->len; i-- > 0;)
    {
      Layer *l = &g_array_index (b->layers, Layer, i);
      if (l->head || l->consumers->len == 0 ||
          (l->cls != CLS_MAXPOOL && l->cls != CLS_AVGPOOL))
        continue;
      gboolean all = TRUE;
      for (guint j = 0; j < l->consumers->len; j++)
        all &= g_array_index (b->layers, Layer,
                              GPOINTER_TO_UINT (l->consumers->pdata[j])).head;
      l->head = all;
    }
}

/* ---- weights ---------------------------------------------------------- */

static IncTensor *
find_tensor (Builder    *b,
             const char *layer,
             const char *param)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", layer, param);
  IncTensor *t = g_hash_table_lookup (b->tensors, key);
  if (t != NULL)
    return t;
  g_autofree char *key0 = g_strconcat (key, ":0", NULL);
  if ((t = g_hash_table_lookup (b->tensors, key0)) != NULL)
    return t;
  /* Some exporters prefix the model name: "model_1/conv2d_1/kernel". */
  g_autofree char *suffix = g_strconcat ("/", key, NULL);
  GHashTableIter iter;
  gpointer k, v;
  g_hash_table_iter_init (&iter, b->tensors);
  while (g_hash_table_iter_next (&iter, &k, &v))
    if (g_str_has_suffix (k, suffix))
      return v;
  return NULL;
}

/* The tensor layer/param with exactly this shape, or a SHAPE error. */
static IncTensor *
need_tensor (Builder    *b,
             const char *layer,
             const char *param,
             int         rank,
             const int  *shape,
             GError    **error)
{
  IncTensor *t = find_tensor (b, layer, param);
  if (t == NULL)
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_SHAPE,
                   "weight %s/%s is missing", layer, param);
      return NULL;
    }
  gboolean ok = t->rank == rank;
  for (int i = 0; ok && i < rank; i++)
    ok = t->shape[i] == shape[i];
  if (!ok)
    {
      g_autoptr(GString) want = g_string_new (NULL), got = g_string_new (NULL);
      for (int i = 0; i < rank; i++)
        g_string_append_printf (want, "%s%d", i ? "," : "", shape[i]);
      for (int i = 0; i < t->rank; i++)
        g_string_append_printf (got, "%s%d", i ? "," : "", t->shape[i]);
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_SHAPE,
                   "weight %s has shape [%s], but the topology needs [%s]",
                   t->name, got->str, want->str);
      return NULL;
    }
  return t;
}

/* ---- building nodes --------------------------------------------------- */

static IncNode *
node_at (Builder *b,
         int      index)
{
  return &g_array_index (b->nodes, IncNode, index);
}

static IncNode *
add_node (Builder    *b,
          guint       layer_index,
          IncOpKind   op)
{
  Layer *l = &g_array_index (b->layers, Layer, layer_index);
  IncNode node = { 0 };
  node.name = g_strdup (l->name);
  node.op = op;
  node.n_inputs = l->inputs->len;
  node.inputs = g_new0 (guint, MAX (node.n_inputs, 1));
  for (guint i = 0; i < node.n_inputs; i++)
    node.inputs[i] = (guint) b->node_of[GPOINTER_TO_UINT (l->inputs->pdata[i])];
  if (node.n_inputs > 0)
    node.cin = node_at (b, (int) node.inputs[0])->cout;
  node.cout = node.cin;
  g_array_append_val (b->nodes, node);
  b->node_of[layer_index] = (int) b->nodes->len - 1;
  return node_at (b, (int) b->nodes->len - 1);
}

static gboolean
build_input (Builder *b,
             guint    index,
             GError **error)
{
  Layer *l = &g_array_index (b->layers, Layer, index);
  JsonNode *shape = json_object_get_member (l->config, "batch_input_shape");
  if (shape == NULL)
    shape = json_object_get_member (l->config, "batch_shape");
  gint64 channels = 0;
  if (shape == NULL || !JSON_NODE_HOLDS_ARRAY (shape) ||
      json_array_get_length (json_node_get_array (shape)) != 4 ||
      !json_int (json_array_get_element (json_node_get_array (shape), 3),
                 &channels) || channels < 1 || channels > 65536)
    return unsupported (error, "input %s must be an image batch (N, H, W, C) "
                        "with a known channel count", l->name);
  IncNode *n = add_node (b, index, INC_OP_INPUT);
  n->cin = n->cout = (int) channels;
  return TRUE;
}

static gboolean
build_conv (Builder *b,
            guint    index,
            GError **error)
{
  Layer *l = &g_array_index (b->layers, Layer, index);
  JsonObject *c = l->config;
  int kh, kw, sh = 1, sw = 1, dh = 1, dw = 1;
  gint64 filters, groups = 1;
  const char *padding = _inc_json_string (c, "padding", "valid");
  const char *activation = _inc_json_string (c, "activation", "linear");

  if (!config_pair (c, "kernel_size", &kh, &kw) ||
      (json_object_has_member (c, "strides") &&
       !config_pair (c, "strides", &sh, &sw)) ||
      !json_int (json_object_get_member (c, "filters"), &filters) ||
      filters < 1 || filters > 65536)
    return bad_topology (error, "conv %s lacks kernel_size, strides or "
                         "filters", l->name);
  if (json_object_has_member (c, "dilation_rate"))
    config_pair (c, "dilation_rate", &dh, &dw);
  if (json_object_has_member (c, "groups"))
    json_int (json_object_get_member (c, "groups"), &groups);
  if (dh != 1 || dw != 1 || groups != 1 || !channels_last (c) ||
      (g_strcmp0 (padding, "same") != 0 && g_strcmp0 (padding, "valid") != 0))
    return unsupported (error, "conv %s uses dilation, groups, %s padding or "
                        "channels_first, which are not supported", l->name,
                        padding ? padding : "unknown");
  if (g_strcmp0 (activation, "linear") != 0 &&
      g_strcmp0 (activation, "relu") != 0)
    return unsupported (error, "conv %s has activation %s; only linear and "
                        "relu are supported", l->name,
                        activation ? activation : "(unknown)");

  IncNode *n = add_node (b, index, INC_OP_CONV);
  n->kh = kh;
  n->kw = kw;
  n->sh = sh;
  n->sw = sw;
  n->same = g_str_equal (padding, "same");
  n->relu = g_str_equal (activation, "relu");
  n->cout = (int) filters;
  n->weight_offset = b->weights->len;

  int kshape[4] = { kh, kw, n->cin, n->cout };
  IncTensor *kernel = need_tensor (b, l->name, "kernel", 4, kshape, error);
  if (kernel == NULL)
    return FALSE;
  g_array_append_vals (b->weights, kernel->data, (guint) kernel->n);

  if (config_bool (c, "use_bias", TRUE))
    {
      IncTensor *bias = need_tensor (b, l->name, "bias", 1, &n->cout, error);
      if (bias == NULL)
        return FALSE;
      g_array_append_vals (b->weights, bias->data, (guint) bias->n);
    }
  else
    g_array_set_size (b->weights, b->weights->len + (guint) n->cout);
  return TRUE;
}

/* The conv node that layer `index` may fold into: its single input must be
 * the latest layer of a conv node and consumed by nothing else. */
static IncNode *
fusable_conv (Builder    *b,
              guint       index,
              const char *what,
              GError    **error)
{
  Layer *l = &g_array_index (b->layers, Layer, index);
  guint in = GPOINTER_TO_UINT (l->inputs->pdata[0]);
  Layer *p = &g_array_index (b->layers, Layer, in);
  IncNode *n = node_at (b, b->node_of[in]);

  if (n->op != INC_OP_CONV || !g_str_equal (n->name, p->name) ||
      p->consumers->len != 1 || n->relu)
    {
      unsupported (error, "%s %s cannot be folded: it must directly follow a "
                   "Conv2D (and any BatchNormalization) that nothing else uses, "
                   "but it follows %s (%s)", what, l->name, p->name,
                   p->class_name);
      return NULL;
    }
  return n;
}

static void
rename_node (IncNode    *n,
             const char *name)
{
  g_free (n->name);
  n->name = g_strdup (name);
}

static gboolean
build_bn (Builder *b,
          guint    index,
          GError **error)
{
  Layer *l = &g_array_index (b->layers, Layer, index);
  IncNode *n = fusable_conv (b, index, "BatchNormalization", error);
  if (n == NULL)
    return FALSE;

  double eps;
  if (!config_channel_axis (l->config, "axis") ||
      !config_double (l->config, "epsilon", 1e-3, &eps) || eps < 0)
    return unsupported (error, "BatchNormalization %s must normalise the "
                        "channel axis with a valid epsilon", l->name);

  int c = n->cout;
  IncTensor *gamma = NULL, *beta = NULL, *mean, *var;
  if (config_bool (l->config, "scale", TRUE) &&
      (gamma = need_tensor (b, l->name, "gamma", 1, &c, error)) == NULL)
    return FALSE;
  if (config_bool (l->config, "center", TRUE) &&
      (beta = need_tensor (b, l->name, "beta", 1, &c, error)) == NULL)
    return FALSE;
  if ((mean = need_tensor (b, l->name, "moving_mean", 1, &c, error)) == NULL ||
      (var = need_tensor (b, l->name, "moving_variance", 1, &c, error)) == NULL)
    return FALSE;

  /* y = gamma * (x - mean) / sqrt(var + eps) + beta, with x = w*in + bias:
   * scale each output channel of w, and move the rest into the bias. */
  g_autofree float *s = g_new (float, c);
  for (int o = 0; o < c; o++)
    {
      double v = (double) var->data[o] + eps;
      if (!(v > 0))
        {
          g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                       "%s has a non-positive variance in channel %d",
                       l->name, o);
          return FALSE;
        }
      s[o] = (float) ((gamma ? gamma->data[o] : 1.0) / sqrt (v));
    }
  float *w = &g_array_index (b->weights, float, n->weight_offset);
  gsize n_kernel = (gsize) n->kh * n->kw * n->cin * c;
  for (gsize i = 0; i < n_kernel; i++)
    w[i] *= s[i % (gsize) c];
  float *bias = w + n_kernel;
  for (int o = 0; o < c; o++)
    bias[o] = (bias[o] - mean->data[o]) * s[o] + (beta ? beta->data[o] : 0.f);

  rename_node (n, l->name);
  b->node_of[index] = (int) (n - node_at (b, 0));
  return TRUE;
}

static gboolean
build_activation (Builder *b,
                  guint    index,
                  GError **error)
{
  Layer *l = &g_array_index (b->layers, Layer, index);
  gboolean relu;

  if (l->cls == CLS_RELU)
    {
      double max_value, slope, threshold;
      if (!config_double (l->config, "max_value", -1, &max_value) ||
          !config_double (l->config, "negative_slope", 0, &slope) ||
          !config_double (l->config, "threshold", 0, &threshold) ||
          max_value != -1 || slope != 0 || threshold != 0)
        return unsupported (error, "ReLU %s is capped, leaky or thresholded, "
                            "which is not supported", l->name);
      relu = TRUE;
    }
  else
    {
      const char *act = _inc_json_string (l->config, "activation", NULL);
      if (g_strcmp0 (act, "linear") == 0)
        {
          /* The identity: later layers read the input's node directly. */
          guint in = GPOINTER_TO_UINT (l->inputs->pdata[0]);
          b->node_of[index] = b->node_of[in];
          return TRUE;
        }
      if (g_strcmp0 (act, "relu") != 0)
        return unsupported (error, "activation %s is %s; inside the network "
                            "only relu is supported", l->name,
                            act ? act : "unknown");
      relu = TRUE;
    }

  IncNode *n = fusable_conv (b, index, "activation", error);
  if (n == NULL)
    return FALSE;
  n->relu = relu;
  rename_node (n, l->name);
  b->node_of[index] = (int) (n - node_at (b, 0));
  return TRUE;
}

static gboolean
build_pool (Builder *b,
            guint    index,
            GError **error)
{
  Layer *l = &g_array_index (b->layers, Layer, index);
  int kh, kw, sh, sw;
  const char *padding = _inc_json_string (l->config, "padding", "valid");

  if (!config_pair (l->config, "pool_size", &kh, &kw))
    return bad_topology (error, "pool %s lacks pool_size", l->name);
  JsonNode *st = json_object_get_member (l->config, "strides");
  if (st == NULL || JSON_NODE_HOLDS_NULL (st))
    {
      sh = kh;   /* Keras: strides default to the pool size */
      sw = kw;
    }
  else if (!config_pair (l->config, "strides", &sh, &sw))
    return bad_topology (error, "pool %s has bad strides", l->name);
  if (!channels_last (l->config) ||
      (g_strcmp0 (padding, "same") != 0 && g_strcmp0 (padding, "valid") != 0))
    return unsupported (error, "pool %s uses an unsupported padding or data "
                        "format", l->name);

  IncNode *n = add_node (b, index, l->cls == CLS_MAXPOOL ? INC_OP_MAXPOOL
                                                          : INC_OP_AVGPOOL);
  n->kh = kh;
  n->kw = kw;
  n->sh = sh;
  n->sw = sw;
  n->same = g_str_equal (padding, "same");
  return TRUE;
}

static gboolean
build_concat (Builder *b,
              guint    index,
              GError **error)
{
  Layer *l = &g_array_index (b->layers, Layer, index);
  if (!config_channel_axis (l->config, "axis"))
    return unsupported (error, "Concatenate %s must join along channels",
                        l->name);
  IncNode *n = add_node (b, index, INC_OP_CONCAT);
  int sum = 0;
  for (guint i = 0; i < n->n_inputs; i++)
    sum += node_at (b, (int) n->inputs[i])->cout;
  n->cin = n->cout = sum;
  return TRUE;
}

static gboolean
build_nodes (Builder *b,
             GError **error)
{
  for (guint i = 0; i < b->layers->len; i++)
    {
      Layer *l = &g_array_index (b->layers, Layer, i);
      gboolean ok = TRUE;
      if (l->head)
        continue;
      switch (l->cls)
        {
        case CLS_INPUT:
          ok = build_input (b, i, error);
          break;
        case CLS_CONV:
          ok = build_conv (b, i, error);
          break;
        case CLS_BN:
          ok = build_bn (b, i, error);
          break;
        case CLS_ACTIVATION:
        case CLS_RELU:
          ok = build_activation (b, i, error);
          break;
        case CLS_MAXPOOL:
        case CLS_AVGPOOL:
          ok = build_pool (b, i, error);
          break;
        case CLS_CONCAT:
          ok = build_concat (b, i, error);
          break;
        case CLS_HEAD:
          break;
        }
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static void
builder_clear (Builder *b)
{
  if (b->layers)
    {
      for (guint i = 0; i < b->layers->len; i++)
        {
          Layer *l = &g_array_index (b->layers, Layer, i);
          g_ptr_array_unref (l->inputs);
          g_ptr_array_unref (l->consumers);
        }
      g_array_unref (b->layers);
    }
  if (b->nodes)
    {
      for (guint i = 0; i < b->nodes->len; i++)
        {
          g_free (node_at (b, (int) i)->name);
          g_free (node_at (b, (int) i)->inputs);
        }
      g_array_unref (b->nodes);
    }
  if (b->weights)
    g_array_unref (b->weights);
  g_clear_pointer (&b->by_name, g_hash_table_unref);
  g_free (b->node_of);
}

IncModel *
_inc_keras_build (JsonNode   *topology,
                  GHashTable *tensors,
                  const char *source,
                  GError    **error)
{
  g_return_val_if_fail (tensors != NULL, NULL);

  Builder b = { 0 };
  b.layers = g_array_new (FALSE, TRUE, sizeof (Layer));
  b.by_name = g_hash_table_new (g_str_hash, g_str_equal);
  b.tensors = tensors;
  b.nodes = g_array_new (FALSE, TRUE, sizeof (IncNode));
  b.weights = g_array_new (FALSE, TRUE, sizeof (float));

  IncModel *model = NULL;
  if (!read_layers (&b, topology, error))
    goto out;
  mark_head (&b);
  b.node_of = g_new (int, b.layers->len);
  for (guint i = 0; i < b.layers->len; i++)
    b.node_of[i] = -1;
  if (!build_nodes (&b, error))
    goto out;
  if (b.nodes->len == 0 || node_at (&b, 0)->op != INC_OP_INPUT)
    {
      bad_topology (error, "the network has no image input");
      goto out;
    }

  model = g_new0 (IncModel, 1);
  model->n_nodes = b.nodes->len;
  model->nodes = (IncNode *) g_array_free (g_steal_pointer (&b.nodes), FALSE);
  model->n_weights = b.weights->len;
  model->weights = (float *) g_array_free (g_steal_pointer (&b.weights), FALSE);
  model->source = g_strdup (source ? source : "");

out:
  builder_clear (&b);
  return model;
}
