"""The Textual application: screens on top of one engine, fed by one event poller."""
from __future__ import annotations

import asyncio
import os
import select
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Callable, Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.worker import get_current_worker

from snaptui.display import actions
from snaptui.display.messages import EngineEvents
from snaptui.screens.base import EngineScreen, describe_error
from snaptui.display.dialogs import Confirmation

if TYPE_CHECKING:
    from snaptui.engine.api import Engine

AGENT_CHECK_S = 2.0  # how often the TUI looks at the agent (a killed one is replaced within this)


class SnaptuiApp(App[int]):
    CSS_PATH = "snaptui.tcss"
    TITLE = "snaptui"
    BINDINGS = actions.bindings("app")
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, engine: "Engine", *, clock: Callable[[], float] | None = None,
                 poll_interval: float = 0.5, watch_terminal: bool = False, refresh_on_start: bool = True,
                 start: str | None = None,
                 start_sweep: int | None = None, start_job: tuple[int, int] | None = None):
        super().__init__()
        self.engine = engine
        self.clock = clock or time.time
        self.poll_interval = poll_interval
        self.watch_terminal = watch_terminal
        self.refresh_on_start = refresh_on_start
        self._start = start
        self._start_sweep = start_sweep
        self._start_job = start_job
        self._wake = threading.Event()
        self._stdin_was_readable = False
        self._parent_pid = os.getppid()
        self.hangup_reason: str | None = None
        self._exit_timer: threading.Timer | None = None
        self.sweep_names: list[tuple[int, str]] = []   # for the palette, kept by the sweeps screen
        self.default_profile: str | None = None
        self.table_columns: list[str] | None = None   # o's choice for the session; None: [tui] columns
        self.show_manifest: bool | None = None   # the job screen's side panel: None follows the width, else m's
        self.last_event_id = engine.last_event_id()  # before any screen reads: no change is missed

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = True) -> None:
        """Never markup: messages carry sweep names, paths and errors, where '[grid]' is text."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # -- startup -----------------------------------------------------------------------
    def on_mount(self) -> None:
        from snaptui.screens.sweeps import SweepsScreen

        keymap = self.engine.keymap
        if keymap:
            unknown = actions.unknown_keymap_entries(keymap)
            if unknown:
                self.notify(f"[keymap] names no action: {', '.join(unknown)}", severity="warning")
            applied, refused = actions.safe_keymap(actions.expand_keymap(keymap))
            for warning in refused:
                self.notify(warning, severity="warning", timeout=12)
            self.set_keymap(applied)
        self.push_screen(SweepsScreen())
        if self._start == "launch":
            from snaptui.screens.launch import LaunchScreen
            self.push_screen(LaunchScreen())
        elif self._start == "snapshots":
            from snaptui.screens.snapshots import SnapshotsScreen
            self.push_screen(SnapshotsScreen())
        elif self._start_sweep is not None or self._start_job is not None:
            from snaptui.screens.sweep import SweepScreen
            sweep_id = self._start_sweep if self._start_job is None else self._start_job[0]
            self.push_screen(SweepScreen(sweep_id))
            if self._start_job is not None:
                from snaptui.screens.job import JobScreen
                self.push_screen(JobScreen(*self._start_job))
        self._poll_events()
        if self.refresh_on_start:
            self._initial_refresh()
        if self.watch_terminal:
            self.set_interval(1.0, self._check_terminal, name="terminal watchdog")
            self.call_after_refresh(self._check_terminal)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):
                loop.add_signal_handler(sig, self.hangup, f"signal {sig.name}")

    @work(thread=True, exit_on_error=False, group="refresh", name="refresh", description="first refresh")
    def _initial_refresh(self) -> None:
        try:
            self.engine.refresh()  # makes sure an agent follows jobs left running by an earlier session
        except Exception:  # noqa: BLE001 - the TUI still shows the store
            pass

    # -- events from any process ---------------------------------------------------------
    @work(thread=True, exit_on_error=False, group="events", name="event poller", description="event poller")
    def _poll_events(self) -> None:
        worker = get_current_worker()
        last = self.last_event_id
        failing = False
        agent_checked, agent_problem = 0.0, None
        while not worker.is_cancelled:
            if time.monotonic() - agent_checked >= AGENT_CHECK_S:  # a stopped agent: say the states may be stale
                agent_checked = time.monotonic()
                try:
                    problem = self.engine.agent_problem(revive=self.refresh_on_start)
                except Exception:  # noqa: BLE001 - the store's own failures are reported below
                    problem = agent_problem
                if problem != agent_problem:
                    self._from_thread(self.notify, problem or "the snaptui agent is following jobs again",
                                      severity="warning" if problem else "information", timeout=30 if problem else 5)
                    agent_problem = problem
            try:
                events = self.engine.events_since(last)
                failing = False
            except Exception as exc:  # noqa: BLE001
                if not failing:
                    self._from_thread(self.notify, f"cannot read the store: {describe_error(exc)}",
                                      severity="error")
                failing, events = True, []
            if events:
                last = events[-1].id
                if not self._from_thread(self._post_events, events):
                    return
            deadline = time.monotonic() + self.poll_interval * (4 if failing else 1)
            while not worker.is_cancelled and not self._wake.is_set() and time.monotonic() < deadline:
                self._wake.wait(min(0.25, max(deadline - time.monotonic(), 0)))  # short: exit never waits
            self._wake.clear()

    def _from_thread(self, callback, *args, **kwargs) -> bool:
        try:
            self.call_from_thread(callback, *args, **kwargs)
            return True
        except RuntimeError:  # the app is gone
            return False

    def _post_events(self, events: list) -> None:
        self.last_event_id = events[-1].id
        for screen in self.screen_stack:
            if isinstance(screen, EngineScreen):
                screen.post_message(EngineEvents(events))

    def announce(self, message: str) -> None:
        """Something worth a look while the terminal is in the background: a bell, a desktop
        notification (OSC 777, shown by terminals that support it, ignored by the rest) and a toast."""
        self.bell()
        driver = self._driver
        if driver is not None and self.watch_terminal:
            clean = "".join(c for c in message if c.isprintable() and c != ";")
            driver.write(f"\x1b]777;notify;snaptui;{clean}\x07")
        self.notify(message, timeout=10)

    def poll_now(self) -> None:
        self._wake.set()

    # -- actions -----------------------------------------------------------------------
    def action_help_quit(self) -> None:
        """ctrl+c (Textual's own says it with markup, which snaptui's notify shows as text)."""
        self.notify("ctrl+q quits (jobs keep running); so does q on the list of sweeps", title="Quit?")

    def action_help(self) -> None:
        from snaptui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.screen))

    def action_refresh(self) -> None:
        if isinstance(self.screen, EngineScreen):
            self._ask_schedulers()

    @work(thread=True, group="refresh", exit_on_error=False, name="refresh", description="refresh")
    def _ask_schedulers(self) -> None:
        try:
            self.engine.refresh()
        except Exception as exc:  # noqa: BLE001 - shown to the user, never raised
            self._from_thread(self.notify, describe_error(exc), title="snaptui", severity="error", timeout=8)
            return
        if self._from_thread(self.poll_now):
            self._from_thread(self.notify, "asked the schedulers for news", timeout=2)

    # -- command palette: the same registry --------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        scope = getattr(screen, "SCOPE", "app")
        for action in actions.palette_actions([scope, "app"]):
            if action.scope == scope or action.scope == "app":
                target = (screen.action_target(action.name) if isinstance(screen, EngineScreen) else screen) \
                    if action.scope == scope else self
                if target.check_action(action.name, ()) is False:
                    continue   # what the footer hides (e.g. `t` on a one-task job) the palette does not offer
                yield SystemCommand(action.description, action.help,
                                    lambda t=target, n=action.name: t.run_action(n))
        for sweep_id, name in self.sweep_names[:200]:
            yield SystemCommand(f"Open sweep {sweep_id} {name}", "Show this sweep's grid",
                                lambda i=sweep_id: self.open_sweep(i))
        for profile in sorted(self.engine.profiles):
            yield SystemCommand(f"Launch with profile {profile}", "Pick a sweep file and launch it on this profile",
                                lambda p=profile: self.open_launch(p))
        yield SystemCommand("Snapshots", "Snapshot branches and gc", self.open_snapshots)
        yield from super().get_system_commands(screen)

    # -- commands the user asked for, and the screens they open ----------------------------
    @work(thread=True, exit_on_error=False, group="command", name="command", description="a user's command")
    def command(self, title: str, fn: Callable, *args, done: Callable | None = None,
                failed: Callable[[BaseException], None] | None = None, caller=None, tell: bool = True,
                **kwargs) -> None:
        """Run `fn(*args, **kwargs)` (cancel, resubmit, launch, gc) in a worker of the app, so what it
        did or why it failed is told also after the screen that asked (`caller`) has closed; `done(result)`
        or `failed(exc)` run on the UI thread while `caller` is still mounted. A failure is a notification
        unless `tell` is off (the caller shows it itself)."""
        def back(callback, value) -> None:
            if caller is None or caller.is_attached:
                callback(value)

        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - shown to the user, never raised
            if tell or failed is None:
                self._from_thread(self.notify, describe_error(exc), title=title, severity="error", timeout=8)
            if failed is not None:
                self._from_thread(back, failed, exc)
            return
        if done is not None:
            self._from_thread(back, done, result)

    def confirm(self, question: Confirmation, then: Callable[[], object]) -> None:
        """Ask `question` in a ConfirmScreen; run `then` only on yes."""
        from snaptui.screens.confirm import ConfirmScreen

        self.push_screen(ConfirmScreen(question), lambda yes: then() if yes else None)

    def open_resubmit(self, title: str, groups: list, fields: list, then: Callable[[list, list[str]], object]) -> None:
        """The resubmit dialog (screens/resubmit.py); `then(jobs, sets)` runs on yes."""
        from snaptui.screens.resubmit import ResubmitScreen

        self.push_screen(ResubmitScreen(title, groups, fields), lambda chosen: then(*chosen) if chosen else None)

    def open_sweep(self, sweep_id: int) -> None:
        from snaptui.screens.sweep import SweepScreen

        self.push_screen(SweepScreen(sweep_id))

    def open_job(self, sweep_id: int, index: int, job=None) -> None:
        from snaptui.screens.job import JobScreen

        self.push_screen(JobScreen(sweep_id, index, job=job))

    def open_curves(self, sweep_id: int, job_indexes: list[int] | None, selected: int | None) -> None:
        from snaptui.screens.curves import CurvesScreen

        self.push_screen(CurvesScreen(sweep_id, job_indexes, selected))

    def choose_columns(self, choices: list[str], shown: list[str], then: Callable[[list[str] | None], object]) -> None:
        from snaptui.screens.columns import ColumnsScreen

        self.push_screen(ColumnsScreen(choices, shown), then)

    def open_diff(self, commit: str, against: str, title: str) -> None:
        from snaptui.screens.diff import DiffScreen

        self.push_screen(DiffScreen(commit, against, title))

    def open_launch(self, profile: str | None = None) -> None:
        from snaptui.screens.launch import LaunchScreen

        if profile:
            self.default_profile = profile
        self.push_screen(LaunchScreen(profile=profile))

    def open_snapshots(self) -> None:
        from snaptui.screens.snapshots import SnapshotsScreen

        self.push_screen(SnapshotsScreen())

    # -- login-node hygiene ------------------------------------------------------------
    def hangup(self, reason: str) -> None:
        """The terminal is gone: leave now (jobs are not touched), and never linger."""
        if self.hangup_reason is not None:
            return
        self.hangup_reason = reason
        if self.watch_terminal:   # a real terminal session: if shutting down hangs on it, leave anyway
            self._exit_timer = threading.Timer(5.0, os._exit, args=(0,))
            self._exit_timer.daemon = True
            self._exit_timer.start()
        self.exit(0)

    def cancel_exit_timer(self) -> None:
        if self._exit_timer is not None:
            self._exit_timer.cancel()

    def _check_terminal(self) -> None:
        try:
            stdin = sys.__stdin__
            if stdin is None or stdin.closed or not stdin.isatty():
                self.hangup("stdin is no longer a terminal")
                return
            poller = select.poll()
            poller.register(stdin.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
            ready = poller.poll(0)
            flags = 0
            for _, mask in ready:
                flags |= mask
            if flags & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                self.hangup("the terminal hung up")
                return
            readable = bool(flags & select.POLLIN)
            if readable and self._stdin_was_readable:
                # input that the input thread never consumes for seconds: stdin is at EOF
                self.hangup("stdin reached end of file")
                return
            self._stdin_was_readable = readable
            if self._parent_pid != 1 and os.getppid() != self._parent_pid:
                self.hangup("the parent process is gone")
        except (OSError, ValueError):
            self.hangup("the terminal is gone")
