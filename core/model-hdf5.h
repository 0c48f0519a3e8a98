/* model-hdf5.h: Keras HDF5 weights files (model.save_weights, or the
 * model_weights group of a whole saved model), such as the ImageNet file
 * inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5.
 *
 * Such a file holds weights only: the graph comes from a Keras topology
 * (data/inception_v3-topology.json for InceptionV3). File layers are matched
 * to topology layers by name when every name is found, otherwise in order,
 * as Keras's own load_weights does.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "core/model.h"

G_BEGIN_DECLS

/* Whether the file starts with the HDF5 signature. */
gboolean    inc_hdf5_is_hdf5            (const char  *path);

/* name -> IncTensor* ("<topology layer>/<param>", param one of kernel, bias,
 * gamma, beta, moving_mean, moving_variance), as _inc_keras_build takes. */
GHashTable *inc_hdf5_read_keras_weights (const char  *path,
                                         JsonNode    *topology,
                                         GError     **error);

/* The fused model from a weights file and a topology (the object holding
 * modelTopology, or the topology itself). */
IncModel   *inc_hdf5_import             (const char  *path,
                                         JsonNode    *topology,
                                         GError     **error);

/* Loads a topology JSON file (a tfjs model.json or the shipped topology):
 * the returned node is the whole document. */
JsonNode   *inc_keras_topology_load     (const char  *path,
                                         GError     **error);

G_END_DECLS
