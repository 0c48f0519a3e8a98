/* arena.c: host memory for a pass's buffers on a CPU device (lavapipe),
 * carved out of a few large allocations laid on 2 MiB boundaries.
 *
 * There device memory is the process's memory, and a new pass (a new
 * octave's size, a new tile shape) pays for first touching its buffers,
 * which can be much cheaper in 2 MiB pages: on a 2-core AMD EPYC a C loop
 * first touched 157 MiB in 62 to 437 ms in 4 KiB pages and in 10 ms in
 * 2 MiB ones (not everywhere: see inc_pass_prepare). The kernel gives
 * those (transparent huge pages) only to whole, aligned 2 MiB pages, and
 * only where asked when it is in "madvise" mode, as on the dev machines;
 * most of a pass's buffers, 0.5 to 10 MiB each in an allocation of its
 * own, hold few whole pages or none. In an arena the buffers lie side by
 * side from a 2 MiB boundary, all of it advised. Five-octave dreams of 2
 * steps an octave, where set-up weighs most, took 0.5 to 1.6 s less in 5
 * alternated pairs (docs/performance.md, First touch). */
#include <string.h>
#include <sys/mman.h>

#include "compute/device-private.h"

/* Chunks hold up to 64 MiB of buffers, or what the arena's plan still
 * needs (rounded up to whole 2 MiB pages); a buffer over a quarter of
 * that gets an allocation of its own (whose whole pages are advised too),
 * so that a chunk's unused tail stays small. Sized to the plan, a chunk
 * spares its untouched tail where glibc fills new allocations
 * ($MALLOC_PERTURB_, which meson sets for tests): with 64 MiB chunks
 * always, a test's peak resident memory grew by a third. */
#define CHUNK_BYTES ((VkDeviceSize) 64 << 20)
#define HUGE_PAGE ((guintptr) 2 << 20)
/* What a planned buffer may take beyond its size: the rounding of its
 * requirements and its alignment. */
#define PLAN_SLACK ((VkDeviceSize) 4096)

typedef struct {
  VkDeviceMemory memory;
  int            type;    /* its memory type */
  guint8        *mapped;  /* the allocation's start */
  VkDeviceSize   next;    /* offset of the first free byte */
  VkDeviceSize   end;     /* offset past the last usable byte */
} Chunk;

/* Asked for 2 MiB pages on every mapped buffer's whole pages (before
 * arenas), a first 512-px step took 0.82-1.09 s instead of 1.05-1.47, and
 * the tf-tutorial preset at 2 steps an octave (five new passes) 6.9-8.9 s
 * instead of 9.2-11.7, alternated runs on a 2-core EPYC; later steps ran
 * within the noise, and the peak resident memory was the same. */
void
_inc_advise_huge_pages (void *mapped, VkDeviceSize size)
{
#ifdef MADV_HUGEPAGE  /* Linux */
  guintptr start = ((guintptr) mapped + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  guintptr end = ((guintptr) mapped + size) & ~(HUGE_PAGE - 1);

  /* Advice that fails changes nothing. */
  if (end > start)
    madvise ((void *) start, end - start, MADV_HUGEPAGE);
#else
  (void) mapped;
  (void) size;
#endif
}

/* Whether a buffer of `size` bytes may share a chunk (see CHUNK_BYTES). */
static gboolean
fits_chunk (VkDeviceSize size)
{
  return size <= CHUNK_BYTES / 4;
}

gboolean
_inc_arena_takes (IncDevice                  *device,
                  int                         type,
                  const VkMemoryRequirements *req)
{
  return device->is_cpu && !device->staged_transfers && fits_chunk (req->size) &&
         req->alignment <= HUGE_PAGE &&
         (device->memory_props.memoryTypes[type].propertyFlags &
          VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) != 0;
}

void
_inc_arena_plan (IncArena     *arena,
                 VkDeviceSize  size)
{
  /* As _inc_arena_takes will judge it (requirements round sizes up a
   * little). */
  if (fits_chunk (size))
    arena->planned += size + PLAN_SLACK;
}

static VkDeviceSize
align_up (VkDeviceSize offset, VkDeviceSize alignment)
{
  return alignment > 1 ? (offset + alignment - 1) / alignment * alignment : offset;
}

static Chunk *
new_chunk (IncDevice *device, IncArena *arena, int type, VkDeviceSize at_least,
           GError **error)
{
  Chunk chunk = { VK_NULL_HANDLE, type, NULL, 0, 0 };
  void *mapped = NULL;
  VkDeviceSize bytes = CHUNK_BYTES;

  if (arena->planned > 0)
    {
      VkDeviceSize left = arena->planned > arena->bytes ? arena->planned - arena->bytes : 0;
      bytes = MIN (align_up (MAX (left, at_least), HUGE_PAGE), CHUNK_BYTES);
    }
  VkMemoryAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
    /* Room to start on a 2 MiB boundary wherever the allocation lands. */
    .allocationSize = bytes + HUGE_PAGE,
    .memoryTypeIndex = (guint32) type,
  };

  CHECK (vkAllocateMemory (device->device, &alloc, NULL, &chunk.memory), error);
  CHECK (vkMapMemory (device->device, chunk.memory, 0, VK_WHOLE_SIZE, 0, &mapped), error);
  chunk.mapped = mapped;
  chunk.next = align_up ((guintptr) mapped, HUGE_PAGE) - (guintptr) mapped;
  chunk.end = chunk.next + bytes;
  _inc_advise_huge_pages (chunk.mapped + chunk.next, bytes);

  if (arena->chunks == NULL)
    arena->chunks = g_array_new (FALSE, FALSE, sizeof (Chunk));
  g_array_append_val (arena->chunks, chunk);
  return &g_array_index (arena->chunks, Chunk, arena->chunks->len - 1);

out:
  if (chunk.memory != VK_NULL_HANDLE)
    vkFreeMemory (device->device, chunk.memory, NULL);
  return NULL;
}

gboolean
_inc_arena_bind (IncDevice                  *device,
                 IncArena                   *arena,
                 IncBuffer                  *buffer,
                 int                         type,
                 const VkMemoryRequirements *req,
                 GError                    **error)
{
  Chunk *chunk = NULL;

  /* The last chunk, or a new one: buffers come in the order of the
   * network's layers, so earlier chunks' gaps are not worth searching. */
  if (arena->chunks != NULL && arena->chunks->len > 0)
    chunk = &g_array_index (arena->chunks, Chunk, arena->chunks->len - 1);
  if (chunk == NULL || chunk->type != type ||
      align_up (chunk->next, req->alignment) + req->size > chunk->end)
    {
      chunk = new_chunk (device, arena, type, req->size, error);
      if (chunk == NULL)
        return FALSE;
    }

  VkDeviceSize at = align_up (chunk->next, req->alignment);
  CHECK (vkBindBufferMemory (device->device, buffer->buffer, chunk->memory, at), error);
  chunk->next = at + req->size;
  buffer->mapped = chunk->mapped + at;
  buffer->size = req->size;
  arena->bytes += req->size;
  return TRUE;

out:
  return FALSE;
}

void
_inc_arena_clear (IncDevice *device,
                  IncArena  *arena)
{
  if (arena->chunks != NULL)
    {
      for (guint i = 0; i < arena->chunks->len; i++)
        vkFreeMemory (device->device, g_array_index (arena->chunks, Chunk, i).memory, NULL);
      g_array_free (arena->chunks, TRUE);
    }
  device->memory_in_use -= MIN (device->memory_in_use, arena->bytes);
  memset (arena, 0, sizeof *arena);
}
