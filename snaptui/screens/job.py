"""One job: its live log (stdout, stderr or both) and its manifest."""
from __future__ import annotations

import shlex
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from snaptui.display import actions
from snaptui.display.dialogs import cancel_jobs, resubmit_jobs
from snaptui.widgets.filterbox import FilterBox
from snaptui.widgets.footer import SnaptuiFooter
from snaptui.engine.errors import SnaptuiError
from snaptui.display.lines import job_line
from snaptui.format import cancel_outcome
from snaptui.widgets.logview import LogView
from .base import EngineScreen
from .job_panels import log_status_text, manifest_text

STREAMS = ("out", "err", "both")
MANIFEST_WIDTH = 110
FIRST_READ = 1024 * 1024


class JobScreen(EngineScreen):
    SCOPE = "job"
    BINDINGS = actions.bindings("job")
    AUTO_FOCUS = "#log"

    def __init__(self, sweep_id: int, index: int, *, poll_interval: float = 0.25, job=None):
        """`job`, when the caller has it, lets the log open before the store is read again."""
        super().__init__()
        self.sweep_id = sweep_id
        self.index = index
        self.poll_interval = poll_interval
        self.job = job if job is not None and (job.sweep_id, job.index) == (sweep_id, index) else None
        self.sweep = None
        self.attempts: list = []
        self.stream: str | None = None     # chosen when the job is known: stderr for a failed job
        self._indexes: list = []
        self.picked: int | None = None      # an earlier attempt chosen with `a`
        self.shown_task = 0                  # the task whose log is shown, stepped with `t`
        self.task_count = 1                  # tasks_per_node x nodes of the sweep: one log per task
        self.paths: dict[str, Path | None] = {"out": None, "err": None}
        self._tailing: tuple[int, int] | None = None   # (attempt id, task) of the log being tailed
        self._tailing_without_paths = False   # tailing started before the log's paths were known

    def compose(self) -> ComposeResult:
        yield Static(f"job {self.sweep_id}/{self.index}", id="title", classes="title-bar")
        yield Static("", id="logstatus", classes="status-bar")
        with Horizontal(id="body"):
            yield LogView(id="log")
            with VerticalScroll(id="manifest"):
                yield Static("", id="manifest-text")
        yield FilterBox("search the log (smart case); enter to search, escape to close", id="search",
                        keeps_text=False)
        yield SnaptuiFooter()

    def on_mount(self) -> None:
        self._fit_manifest()
        self.query_one(LogView).focus()
        if self.job is not None and self.job.attempt.log_dir:
            self._loaded((self.job, None, [self.job.attempt], None))
        self._load()
        self.set_interval(1.0, self._tick, name="clock")

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "tail")
        for index in self._indexes:
            index.close()

    # -- data ------------------------------------------------------------------------------
    @work(thread=True, exit_on_error=False, group="load", exclusive=True, name="job", description="read the job")
    def _load(self) -> None:
        sweep = self.engine.sweep(self.sweep_id)
        job = self.engine.jobs_by_index(self.sweep_id, [self.index])
        if not job:
            raise SnaptuiError(f"sweep {self.sweep_id} has no job {self.index}")
        self.hand_back(self._loaded, (job[0], sweep, self.engine.attempts(job[0]), self.engine.task_count(job[0])))

    def _loaded(self, loaded) -> None:
        """(job, sweep, attempts, task count); a count of None keeps the one known."""
        self.job, self.sweep, self.attempts, task_count = loaded
        if task_count is not None and task_count != self.task_count:
            self.task_count = task_count
            self.shown_task = min(self.shown_task, task_count - 1)
            self.refresh_bindings()       # `t` is offered only to a job with several tasks
            self._show_status()
        attempt = self.shown_attempt
        paths = self.engine.log_paths(attempt, self.shown_task)
        self.paths = {"out": paths[0], "err": paths[1]}
        if self.stream is None:
            self.stream = "err" if self._failed_with_stderr() or self._writing_stderr() else "out"
        self._show_title()
        self._show_manifest()
        if self._tailing != (attempt.id, self.shown_task) or (paths[0] and self._tailing_without_paths):
            self._start_tail()

    @property
    def shown_attempt(self):
        """The attempt whose log is shown: the one picked with `a`, else the latest."""
        for attempt in self.attempts:
            if attempt.number == self.picked:
                return attempt
        return self.job.attempt

    @property
    def _attempt_number(self) -> int:
        return self.shown_attempt.number

    def action_attempt(self) -> None:
        """Show the previous attempt's log (wrapping round to the latest)."""
        if len(self.attempts) < 2:
            self.notify("this job has one attempt", severity="warning", timeout=3)
            return
        numbers = sorted(a.number for a in self.attempts)
        current = numbers.index(self._attempt_number)
        self.picked = numbers[(current - 1) % len(numbers)]
        if self.picked == numbers[-1]:
            self.picked = None
        self._loaded((self.job, self.sweep, self.attempts, None))

    def check_action(self, action: str, parameters) -> bool | None:
        """`t` exists only for a job with several tasks: hidden from the footer and help otherwise."""
        if action == "task":
            return self.task_count > 1
        return True

    def action_task(self) -> None:
        """Show the next task's log (task 0..N-1, wrapping round to task 0)."""
        if self.task_count < 2:
            self.notify("this job has one task", severity="warning", timeout=3)
            return
        self.shown_task = (self.shown_task + 1) % self.task_count
        if self.job is not None:
            self._loaded((self.job, self.sweep, self.attempts, None))

    def _failed_with_stderr(self) -> bool:
        """A failed job opens on stderr, where its traceback is."""
        err = self.paths.get("err")
        if self.job.state.value not in ("FAILED", "TIMEOUT") or err is None:
            return False
        try:
            return err.stat().st_size > 0
        except OSError:
            return False

    def _writing_stderr(self) -> bool:
        """A running job opens on the stream it wrote last: a progress bar (tqdm writes to stderr) is
        what there is to see."""
        if self.job.state.value != "RUNNING" or not (self.paths.get("out") and self.paths.get("err")):
            return False
        order = self.engine.log_order(self.shown_attempt, self.shown_task)
        if order is not None and order.update():   # the runner's record of the last write
            return order.records[-1][0] == 1
        try:
            err = self.paths["err"].stat()
        except OSError:
            return False
        try:
            out_mtime = self.paths["out"].stat().st_mtime_ns
        except OSError:
            out_mtime = 0
        return err.st_size > 0 and err.st_mtime_ns > out_mtime

    def engine_events(self, events: list) -> None:
        if any(e.sweep_id == self.sweep_id and e.job_index == self.index for e in events):
            self._load()

    def _tick(self) -> None:
        """Once a second while the job runs: its elapsed time in the title and the manifest."""
        if self.job is not None and not self.job.state.is_final:
            self._show_title()
            if self.query_one("#manifest").display:
                self._show_manifest()

    # -- tailing ---------------------------------------------------------------------------
    def _start_tail(self) -> None:
        self.workers.cancel_group(self, "tail")   # the log shown before: its tailer stops
        self._tailing = (self.shown_attempt.id, self.shown_task) if self.job else None
        streams = ["out", "err"] if self.stream == "both" else [self.stream]
        paths = [(name, self.paths[name]) for name in streams if self.paths.get(name)]
        self._tailing_without_paths = not paths
        for index in self._indexes:
            index.close()
        self._indexes = [self.engine.log_index(path) for _, path in paths]
        # stdout and stderr together: in the order the job wrote them, as its runner recorded it
        order = self.engine.log_order(self.shown_attempt, self.shown_task) if len(paths) == 2 else None
        self.query_one(LogView).set_sources(self._indexes, [name for name, _ in paths], order)
        self._show_status()
        if paths:
            indexes = self._indexes
            # the first megabyte here, at once: a usual log is on screen in the frame that opens it
            grew = order.update() if order is not None else False
            self.query_one(LogView).indexed([index.update(budget=FIRST_READ) for index in indexes], grew)
            self._tail(indexes, order)

    @work(thread=True, exclusive=True, group="tail", exit_on_error=False, name="log tailer", description="log tailer")
    def _tail(self, indexes, order=None) -> None:
        """Index what the files gained, hand it to the view; poll (NFS raises no events). Cancelling
        the worker (another log shown, the screen closed) wakes it and stops it."""
        worker = get_current_worker()
        seen, app_gone = None, False

        def step() -> bool:
            nonlocal seen, app_gone
            grew = order.update() if order is not None else False   # before the files: see LogView._place
            updates = [index.update() for index in indexes]
            summary = [(u.state, u.reset, u.grew, u.more) for u in updates]
            if summary != seen or grew or any(u.grew for u in updates):
                seen = summary
                app_gone = not self.hand_back(self._indexed, updates, grew)
            return any(u.more for u in updates)

        self.engine.follow_log(step, interval=self.poll_interval, wake=worker.cancelled_event,
                               stop=lambda: app_gone or worker.is_cancelled)

    def _indexed(self, updates, order_grew: bool) -> None:
        self.query_one(LogView).indexed(updates, order_grew)

    # -- status ----------------------------------------------------------------------------
    def _show_title(self) -> None:
        text = Text("job ", style="bold") + job_line(self.job, self.now(), results=False, reason=False)
        if self.sweep is not None:
            text.append(f"  ({self.sweep.name})", style="dim")
        self.query_one("#title", Static).update(text)

    def _show_status(self) -> None:
        self.query_one("#logstatus", Static).update(log_status_text(
            self.query_one(LogView), self.stream or "out", self.job, self.attempts, self._attempt_number,
            self.shown_task, self.task_count, self.paths))

    def on_log_view_status_changed(self, _message) -> None:
        self._show_status()

    def _show_manifest(self) -> None:
        self.query_one("#manifest-text", Static).update(manifest_text(
            self.job, self.sweep, self.attempts, self.paths.get("out"), self.engine.repo_root, self.now()))

    # -- actions ---------------------------------------------------------------------------
    def action_follow(self) -> None:
        log = self.query_one(LogView)
        log.set_follow(not log.follow)

    def action_bottom(self) -> None:
        log = self.query_one(LogView)
        log.set_follow(True)
        log.scroll_end(animate=False)

    def action_top(self) -> None:
        log = self.query_one(LogView)
        log.set_follow(False)
        log.scroll_home(animate=False)

    def action_stream(self) -> None:
        self.stream = STREAMS[(STREAMS.index(self.stream or "out") + 1) % len(STREAMS)]
        if self.job is not None:
            self._start_tail()

    def action_wrap(self) -> None:
        log = self.query_one(LogView)
        log.set_wrap(not log.wrap)

    def _shown_path(self) -> Path | None:
        return self.paths.get("err" if self.stream == "err" else "out")

    def action_pager(self) -> None:
        from .external import open_in_pager

        open_in_pager(self.app, self._shown_path())

    def action_editor(self) -> None:
        from .external import open_in_editor

        path = self._shown_path()
        if path is None or not path.exists():
            self.notify("this job has no log yet", severity="warning", timeout=3)
            return
        open_in_editor(self.app, path)

    def action_copy_path(self) -> None:
        path = self._shown_path()
        if path is None:
            self.notify("this job has no log yet", severity="warning", timeout=3)
            return
        self.app.copy_to_clipboard(str(path))
        self.notify(f"copied {path}", timeout=4)

    def action_copy_command(self) -> None:
        if self.job is None:
            return
        command = shlex.join(self.job.argv)
        self.app.copy_to_clipboard(command)
        self.notify(f"copied: {command}", timeout=4)

    def on_resize(self) -> None:
        self._fit_manifest()

    def _fit_manifest(self) -> None:
        """The manifest beside the log from MANIFEST_WIDTH columns (the log keeps 65 or more), unless `m`
        said otherwise: that choice holds for every job until `m` again."""
        choice = self.snaptui.show_manifest
        self.query_one("#manifest").display = choice if choice is not None else self.app.size.width >= MANIFEST_WIDTH

    def action_manifest(self) -> None:
        panel = self.query_one("#manifest")
        self.snaptui.show_manifest = not panel.display
        self._fit_manifest()
        if panel.display:
            self._show_manifest()

    def action_search(self) -> None:
        self.query_one("#search", FilterBox).open(self.query_one(LogView).needle)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "search":
            return
        log = self.query_one(LogView)
        log.search(event.value)   # the whole file, in a thread: the status line shows progress and the count

    def action_next_match(self) -> None:
        self.query_one(LogView).next_match(1)

    def action_prev_match(self) -> None:
        self.query_one(LogView).next_match(-1)

    def action_cancel(self) -> None:
        job = self.job
        if job is None:
            return
        if job.state.is_final:
            self.notify(f"nothing to cancel: {job.ref} is {job.state.value}", severity="warning")
            return

        self.snaptui.confirm(cancel_jobs([job], self.sweep_id), lambda: self.snaptui.command(
            "cancel", self.engine.cancel, [job],
            done=lambda jobs: (self.notify(cancel_outcome(jobs)), self.snaptui.poll_now())))

    def action_resubmit(self) -> None:
        job = self.job
        if job is None:
            return
        if not job.state.is_final:
            self.notify("only finished jobs can be resubmitted; cancel it first", severity="warning")
            return

        self.snaptui.confirm(resubmit_jobs([job]), lambda: self.snaptui.command(
            "resubmit", self.engine.resubmit, [job],
            done=lambda jobs: (self.notify(f"resubmitted {job.ref}"), self.snaptui.poll_now())))
