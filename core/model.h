/* model.h: the network graph and weights, as the engine executes them.
 *
 * An IncModel is the *fused* InceptionV3 graph: each Conv2D is merged with the
 * BatchNormalization and ReLU that follow it (BN folded into the kernel and a
 * bias), so the nodes are only INPUT, CONV, MAXPOOL, AVGPOOL and CONCAT.
 * Nodes are in topological order; a node's inputs always precede it.
 *
 * The project's own model file ("*.incmodel") stores exactly this:
 *   bytes 0..7   magic "INCMODL1"
 *   bytes 8..11  little-endian uint32: length N of the JSON header
 *   N bytes      JSON: { "format": 1, "source": "...", "nodes": [ ... ],
 *                        "n_weights": <floats> }
 *   padding to a multiple of 16 bytes
 *   n_weights little-endian float32s
 * Each JSON node: { "name", "op" ("input"|"conv"|"maxpool"|"avgpool"|"concat"),
 *   "inputs": [names], and for conv/pools "kernel": [kh,kw], "strides": [sh,sw],
 *   "padding": "same"|"valid"; for conv also "filters", "relu": bool,
 *   "weight_offset": <float index> }.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define INC_MODEL_ERROR (inc_model_error_quark ())
GQuark inc_model_error_quark (void);

typedef enum {
  INC_MODEL_ERROR_MISSING,      /* a file is not there */
  INC_MODEL_ERROR_CORRUPT,      /* truncated, wrong magic, bad JSON, wrong hash */
  INC_MODEL_ERROR_UNSUPPORTED,  /* unknown layer type or configuration */
  INC_MODEL_ERROR_SHAPE,        /* weight shapes do not match the topology */
  INC_MODEL_ERROR_IO,           /* could not write */
} IncModelError;

typedef enum {
  INC_OP_INPUT,
  INC_OP_CONV,      /* convolution + folded BN bias + optional ReLU */
  INC_OP_MAXPOOL,
  INC_OP_AVGPOOL,   /* 'same' average pools divide by the count of real pixels */
  INC_OP_CONCAT,    /* along channels, in input order */
} IncOpKind;

typedef struct {
  char      *name;        /* the Keras layer name whose output this node is */
  IncOpKind  op;
  guint      n_inputs;
  guint     *inputs;      /* indices of earlier nodes */
  int        kh, kw;      /* conv and pools */
  int        sh, sw;
  gboolean   same;        /* Keras 'same' padding; FALSE = 'valid' */
  gboolean   relu;        /* conv only */
  int        cin;         /* input channels (sum for concat) */
  int        cout;        /* output channels */
  gsize      weight_offset; /* conv: float index of kernel [kh][kw][cin][cout],
                               followed by bias[cout] */
} IncNode;

typedef struct {
  IncNode  *nodes;
  guint     n_nodes;
  float    *weights;
  gsize     n_weights;
  char     *source;       /* where it came from, for `layers` and About */
} IncModel;

IncModel   *inc_model_load          (const char      *path,
                                     GError         **error);
gboolean    inc_model_save          (const IncModel  *model,
                                     const char      *path,
                                     GError         **error);
void        inc_model_free          (IncModel        *model);
int         inc_model_find          (const IncModel  *model,
                                     const char      *name);
/* Output size of a conv/pool node for an input of in_h x in_w (Keras rules). */
void        inc_node_output_size    (const IncNode   *node,
                                     int              in_h,
                                     int              in_w,
                                     int             *out_h,
                                     int             *out_w);
/* Padding before (top/left) for a node at this input size ('same' pads
 * (k-1)/2 before at stride 1; TF's rule in general). */
void        inc_node_padding        (const IncNode   *node,
                                     int              in_h,
                                     int              in_w,
                                     int             *pad_top,
                                     int             *pad_left);

/* Where the default model lives: $INCEPTIONIST_MODEL, else
 * $XDG_DATA_HOME/inceptionist/models/inception_v3.incmodel. */
char       *inc_model_default_path  (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncModel, inc_model_free)

G_END_DECLS
