"""Sharded checkpoints: every shard under the limit, big tensors split and joined exactly, ties kept."""

import torch

from zhaoshang_ner.checkpoint import load_sharded, save_sharded


def test_round_trip_splits_big_tensors_and_keeps_every_shard_small(tmp_path):
    generator = torch.Generator().manual_seed(0)
    embedding = torch.randn(1000, 16, generator=generator)  # 64,000 bytes
    tensors = {"embedding": embedding, "decoder": embedding, "bias": torch.randn(16, generator=generator),
               "step": torch.tensor(7), "ids": torch.arange(300), "empty": torch.zeros(0)}
    save_sharded(tensors, tmp_path, "model", max_bytes=10_000)
    files = sorted(tmp_path.glob("model-*.safetensors"))
    assert len(files) >= 7
    assert all(f.stat().st_size <= 10_000 for f in files)  # headers included
    loaded = load_sharded(tmp_path, "model")
    assert loaded.keys() == tensors.keys()
    for key, tensor in tensors.items():
        assert torch.equal(loaded[key], tensor) and loaded[key].dtype == tensor.dtype
    assert loaded["decoder"] is loaded["embedding"]  # stored once, tied again
    stored = sum(f.stat().st_size for f in files)
    assert stored < 2 * embedding.numel() * 4  # the tied copy is not written twice
