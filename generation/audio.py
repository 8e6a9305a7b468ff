"""Sound that a model made with its video (LTX-2), as a track the encoder muxes beside the picture."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class AudioTrack:
    samples: np.ndarray  # float32, (channels, samples), in [-1, 1]
    sample_rate: int

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def seconds(self) -> float:
        return int(self.samples.shape[1]) / self.sample_rate

    def fitted(self, seconds: float) -> AudioTrack:
        """This track cut, or padded with silence, to exactly ``seconds``: the picture's length."""
        wanted = round(seconds * self.sample_rate)
        have = self.samples.shape[1]
        if have >= wanted:
            samples = self.samples[:, :wanted]
        else:
            samples = np.pad(self.samples, ((0, 0), (0, wanted - have)))
        return AudioTrack(np.ascontiguousarray(samples, dtype=np.float32), self.sample_rate)

    def interleaved(self) -> bytes:
        """Little-endian float32 PCM, channels interleaved (ffmpeg's ``f32le``)."""
        clipped = np.clip(self.samples, -1.0, 1.0).astype("<f4")
        return np.ascontiguousarray(clipped.T).tobytes()


def audio_from_output(audio: Any, sample_rate: int) -> AudioTrack | None:
    """The first clip's sound from a pipeline's ``audio`` output: (batch, channels, samples)."""
    if audio is None:
        return None
    if hasattr(audio, "detach"):
        audio = audio.detach().float().cpu().numpy()
    array = np.asarray(audio, dtype=np.float32)
    if array.ndim == 3:
        array = array[0]
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] == 0 or sample_rate <= 0:
        return None
    return AudioTrack(np.nan_to_num(array), sample_rate)
