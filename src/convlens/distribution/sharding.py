"""Each rank's share of every global batch.

With a global batch of B samples and N ranks, rank r takes the contiguous samples
``[r·B // N, (r+1)·B // N)`` of each batch that a single process would train on (same
shuffling, same order), so the N shards together are exactly that batch. Shards differ by
at most one sample; the gradient reduction weights each by its size (see
:meth:`DataParallel.reduce_gradients`), so the step is the one of the whole batch.
"""

from __future__ import annotations

from ..models.data import sample_count, take


def shard_bounds(count: int, rank: int, size: int) -> tuple[int, int]:
    """``(start, stop)`` of rank ``rank``'s samples in a batch of ``count`` over ``size`` ranks."""
    return rank * count // size, (rank + 1) * count // size


def check_split(batch_size, samples, size: int) -> None:
    """Refuse, before any work, a batch that cannot give every rank at least one sample.

    Raises:
        ValueError: naming the batch size, the sample count and the number of ranks.
    """
    if batch_size is not None and batch_size < size:
        raise ValueError(
            f"fit(): batch_size={batch_size} is the GLOBAL batch, split over {size} MPI ranks; "
            f"it must be at least {size} (one sample per rank), and a multiple of {size} "
            f"gives equal shards. Use batch_size={size * max(1, batch_size)} or fewer ranks."
        )
    if batch_size is not None and samples is not None and 0 < samples % batch_size < size:
        raise ValueError(
            f"fit(): the last batch holds {samples % batch_size} of the {samples} samples "
            f"(batch_size={batch_size}), too few to give each of the {size} MPI ranks one; "
            "choose a batch_size that leaves a last batch of at least that many samples, "
            "or drop the extra samples."
        )


class ShardedBatches:
    """The batches of ``batches`` (a batcher of models/data.py), cut to this rank's shard.

    Before each batch it tells ``parallel`` the shard's share of the global batch (for the
    gradient weights), and before the first one lets it finish its start-up (an unbuilt
    model is built on that batch, then the weights are broadcast).
    """

    def __init__(self, batches, parallel):
        self.batches, self.parallel = batches, parallel

    def __len__(self):
        return len(self.batches)

    def __getattr__(self, name):  # count, base_seed... of the wrapped batcher
        return getattr(self.__dict__["batches"], name)

    def epoch(self, index: int = 0):
        parallel = self.parallel
        parallel.begin_epoch(index)
        for bx, by, bw in self.batches.epoch(index):
            count = sample_count(bx)
            start, stop = shard_bounds(count, parallel.rank, parallel.size)
            if stop == start:
                raise ValueError(
                    f"fit(): a batch of {count} samples cannot be split over {parallel.size} "
                    "MPI ranks (each needs at least one sample); give a dataset whose "
                    f"batches hold at least {parallel.size} samples."
                )
            part = slice(start, stop)
            shard = tuple(None if v is None else take(v, part) for v in (bx, by, bw))
            parallel.step_fraction = (stop - start) / count
            parallel.ready(shard[0])
            yield shard
