/* inc-image-rgba.h: app-internal conversion of [-1, 1] images for display. */
#pragma once

#include <glib.h>
#include "core/image.h"

G_BEGIN_DECLS

/* Opaque RGBA8 rows of width * 4 bytes; safe to call from any thread. */
GBytes *_inc_image_to_rgba8 (const IncImage *image);

G_END_DECLS
