"""Small tokenizers built on the spot, for pipelines assembled from configs (no Hub access).

Pipelines only call their tokenizer to turn a prompt into ids padded to a fixed length, so a tiny vocabulary
serves random-weight models of any size: the text encoder still runs over the full sequence length.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

WORDS = ["a", "the", "cat", "dog", "eating", "spaghetti", "dancing", "on", "in", "moon", "video", "of"]
# Ids of the special tokens below, followed by WORDS.
SPECIAL = ["<pad>", "</s>", "<unk>", "<bos>"]
WORD_VOCAB_SIZE = len(SPECIAL) + len(WORDS)


def word_tokenizer() -> Any:
    """A word-level fast tokenizer (stands in for T5, UMT5, Llama, Qwen and Gemma tokenizers)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate([*SPECIAL, *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast_tokenizer: Callable[..., Any] = PreTrainedTokenizerFast  # its constructor is untyped
    return fast_tokenizer(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", bos_token="<bos>"
    )


def chat_tokenizer() -> Any:
    """The word tokenizer with a chat template (HunyuanVideo 1.5 formats its prompt as a chat)."""
    tok = word_tokenizer()
    tok.chat_template = "{% for message in messages %}{{ message['content'] }} {% endfor %}"
    return tok


def clip_tokenizer() -> Any:
    """A CLIP BPE tokenizer over single letters, from vocab.json and merges.txt written on the spot."""
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for letter in "abcdefghijklmnopqrstuvwxyz":
        vocab[letter] = len(vocab)
        vocab[letter + "</w>"] = len(vocab)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "vocab.json").write_text(json.dumps(vocab))
        (Path(tmp) / "merges.txt").write_text("#version: 0.2\n")
        return CLIPTokenizer(
            str(Path(tmp) / "vocab.json"), str(Path(tmp) / "merges.txt"), model_max_length=77
        )


CLIP_VOCAB_SIZE = 2 + 2 * 26


def byt5_tokenizer() -> Any:
    """ByT5 needs no vocabulary file: its ids are bytes (HunyuanVideo 1.5's glyph encoder)."""
    from transformers import ByT5Tokenizer

    return ByT5Tokenizer()


TOKENIZERS: dict[str, Callable[[], Any]] = {
    "word": word_tokenizer,
    "chat": chat_tokenizer,
    "clip": clip_tokenizer,
    "byt5": byt5_tokenizer,
}
