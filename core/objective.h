/* objective.h: what a dream maximises, shared by core/ (recipes, the
 * scheduler) and compute/ (which seeds the backward pass from it). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  INC_OBJECTIVE_MEAN,         /* sum_l w_l * mean(act_l)   (TF tutorial) */
  INC_OBJECTIVE_MEAN_SQUARE,  /* sum_l w_l * mean(act_l^2) (Keras example) */
  INC_OBJECTIVE_GUIDE,        /* sum over positions of act . best-matching
                                 guide feature (guided dream) */
} IncObjectiveKind;

typedef struct {
  char   *layer;        /* e.g. "mixed3" (or any node name) */
  float   weight;       /* may be negative */
  int     channel;      /* -1: every channel; else only this one */
  /* GUIDE only: the guide image's features at this layer, n_guide x C */
  float  *guide;
  int     n_guide;
} IncLayerTerm;

typedef struct {
  IncObjectiveKind  kind;
  IncLayerTerm     *terms;
  guint             n_terms;
  int               border;   /* MEAN_SQUARE: pixels cropped from each edge of
                                 the activation before the mean (Keras) */
} IncObjective;

G_END_DECLS
