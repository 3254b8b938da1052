"""A test tool: one architecture of a lab set-up built, trained with the probe every epoch, and summarised."""
from __future__ import annotations

from typing import Callable, Optional

from explorer.data.memory_tasks import MemoryTask
from explorer.tasks.lab.arch import ArchResult, fit_arch, start_arch, summarize
from explorer.tasks.lab.config import LabConfig, lab_task


def train_arch(cfg: LabConfig, arch: str, task: MemoryTask | None = None, sink: Optional[Callable] = None,
               should_stop: Optional[Callable[[], bool]] = None, held: Optional[MemoryTask] = None) -> ArchResult:
    """Build, train with the probe every epoch, and summarise one architecture."""
    task = lab_task(cfg) if task is None else task
    run = start_arch(cfg, arch, task, held=held)
    fit_arch(run, cfg, task, sink=sink, should_stop=should_stop)
    return summarize(run, cfg, task)
