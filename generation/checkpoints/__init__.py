"""Published checkpoints, one module per model line: each component's class and config as the checkpoint
ships it, its size, and where those facts were read. Plain data; ``generation.assemble`` builds them.

Each module also defines the tiny configuration of its pipeline (same classes, small numbers) that tests
and ``python -m generation make-tiny`` write to disk.
"""
