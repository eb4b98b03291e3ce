"""Home: every sweep of this repository, newest first, updating as jobs change state."""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker

from snaptui.display import actions
from snaptui.widgets.filterbox import FilterBox
from snaptui.widgets.footer import SnaptuiFooter
from snaptui.widgets.lists import ListTable
from snaptui.engine.states import RETRYABLE_STATES
from snaptui.format import cancel_outcome, duration, jobs_phrase, profile_label, states_phrase
from snaptui.display.dialogs import Confirmation
from snaptui.display.text import ago, count_bar, sweep_branch, truncate, truncate_left
from .base import EngineScreen

COLUMNS = [("id", "#"), ("name", "name"), ("profile", "profile"), ("branch", "snapshot"),
           ("progress", "progress"), ("started", "started"), ("elapsed", "elapsed")]


class SweepsScreen(EngineScreen):
    SCOPE = "sweeps"
    BINDINGS = actions.bindings("sweeps")
    AUTO_FOCUS = "#sweeps"

    def __init__(self) -> None:
        super().__init__()
        self.sweeps: dict[int, object] = {}
        self.filter_text = ""
        self._reload_asked = False   # during a read: read again when it ends
        self._stamp: tuple[int, int] | None = None   # engine.sweeps_stamp() as of the last read

    def compose(self) -> ComposeResult:
        yield Static(Text("snaptui", style="bold") + Text(f"  {self.engine.repo_root.name}", style="dim"),
                     id="title", classes="title-bar")
        yield FilterBox("filter sweeps (name, profile, branch); enter to keep, escape to clear", id="filter")
        table = ListTable(id="sweeps", cursor_type="row", zebra_stripes=False)
        yield table
        yield Static("", id="empty", classes="empty")
        yield SnaptuiFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        table.cell_padding = 1
        self.query_one("#empty").display = False
        self.reload()
        self.set_interval(1.0, self._tick, name="elapsed")

    # -- data ------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the sweeps again: one read at a time, and one more after it when asked meanwhile
        (on_worker_state_changed), so the list ends up showing the latest state."""
        self._reload_asked = self.reading("sweeps")
        if not self._reload_asked:
            self._read_sweeps()

    @work(thread=True, exit_on_error=False, group="sweeps", name="sweeps", description="read the sweeps")
    def _read_sweeps(self) -> None:
        stamp = self.engine.sweeps_stamp()  # first: a change made during the read is seen by the next check
        self.hand_back(self._loaded, self.engine.sweeps(), stamp)

    @work(thread=True, exit_on_error=False, exclusive=True, group="sweeps-stamp", name="sweeps stamp",
          description="check whether a sweep was launched or removed")
    def _check_stamp(self) -> None:
        """A launch from another terminal lists its sweep when it ends, which no job event says."""
        try:
            stamp = self.engine.sweeps_stamp()
        except Exception:  # noqa: BLE001 - the app's event poller says once that the store cannot be read
            return
        if stamp != self._stamp:
            self.hand_back(self.reload)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "sweeps" and event.worker.is_finished and self._reload_asked:
            self.reload()

    def engine_events(self, events: list) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def _loaded(self, sweeps: list, stamp: tuple[int, int]) -> None:
        self._stamp = stamp
        ended = [s for s in sweeps if not s.is_active and s.id in self.sweeps and self.sweeps[s.id].is_active]
        for sweep in ended:
            self.snaptui.announce(f"sweep {sweep.id} {sweep.name} ended: {states_phrase(sweep.counts)}")
        self.sweeps = {s.id: s for s in sweeps}
        self.snaptui.sweep_names = [(s.id, s.name) for s in sweeps]
        self._apply()

    def _visible(self) -> list:
        needle = self.filter_text.lower()
        out = []
        for sweep in self.sweeps.values():
            hay = f"{sweep.id} {sweep.name} {profile_label(sweep)} {sweep_branch(sweep)}".lower()
            if needle in hay:
                out.append(sweep)
        return out

    def _widths(self) -> tuple[int, int, int, int]:
        """name, profile and branch widths, and the bar width, to fit the terminal's width."""
        width = self.app.size.width
        bar = 10 if width >= 100 else 8
        rest = max(width - (3 + bar + 6 + 11 + 7) - 7 * 2 - 1, 24)
        longest = max((len(profile_label(s)) for s in self.sweeps.values()), default=5)
        profile = max(min(longest, rest // 4), 5)   # a profile name is short: show it whole when it fits
        name = max(rest // 3, 8)
        return name, profile, max(rest - name - profile, 8), bar

    @property
    def _prefix(self) -> str:
        return self.engine.branch_prefix

    def _row(self, sweep) -> dict[str, object]:
        now = self.now()
        end = sweep.ended_at if not sweep.is_active else None
        name, profile, branch, bar = self._widths()
        return {
            "id": Text(str(sweep.id), justify="right"),
            "name": truncate(sweep.name, name),
            "profile": truncate(profile_label(sweep), profile),
            "branch": truncate_left(sweep_branch(sweep, self._prefix), branch),
            "progress": count_bar(sweep.counts, sweep.total, bar),
            "started": ago(sweep.created_at, now),
            "elapsed": duration((end or now) - sweep.created_at),
        }

    def on_resize(self) -> None:
        if self.sweeps:
            self._rebuild()

    def _rebuild(self) -> None:
        """From scratch (the column widths shrink too); the cursor stays on its sweep."""
        table = self.query_one(DataTable)
        keep = self.selected()
        table.clear(columns=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self._apply()
        if keep is not None and str(keep.id) in {k.value for k in table.rows}:
            table.move_cursor(row=table.get_row_index(str(keep.id)))

    def _apply(self) -> None:
        """Update rows in place; add new sweeps; drop vanished ones; keep newest first."""
        table = self.query_one(DataTable)
        keep = self.selected()
        visible = self._visible()
        wanted = {str(s.id) for s in visible}
        present = {key.value for key in table.rows}
        for key in present - wanted:
            table.remove_row(key)
        added = False
        for sweep in visible:
            values = self._row(sweep)
            key = str(sweep.id)
            if key in present:
                for column, value in values.items():
                    if str(table.get_cell(key, column)) != str(value) or column == "progress":
                        # the column widens as its text grows ('10,000/10,000' once '0/10,000' was cut)
                        table.update_cell(key, column, value, update_width=True)
            else:
                table.add_row(*values.values(), key=key)
                added = True
        if added:
            table.sort("id", key=lambda cell: -int(str(cell)), reverse=False)
            if keep is not None and str(keep.id) in wanted:
                table.move_cursor(row=table.get_row_index(str(keep.id)), animate=False)
        empty = self.query_one("#empty", Static)
        if not self.sweeps:
            empty.update("No sweeps yet. Press n to launch one from a sweep file,\n"
                         "or run `snaptui launch sweep.toml` in a shell.")
        elif not visible:
            empty.update(f"No sweep matches {self.filter_text!r} (escape clears the filter).")
        empty.display = not visible
        table.display = bool(visible)

    def _tick(self) -> None:
        if self._stamp is not None and not self.reading("sweeps") and not self.reading("sweeps-stamp"):
            self._check_stamp()   # after a read that worked: a failing one is not retried, nor told, each second
        table = self.query_one(DataTable)
        now = self.now()
        shown = {k.value for k in table.rows}
        for sweep in self.sweeps.values():
            key = str(sweep.id)
            if key not in shown:
                continue
            if sweep.is_active:
                table.update_cell(key, "elapsed", duration(now - sweep.created_at), update_width=True)
            started = ago(sweep.created_at, now)
            if str(table.get_cell(key, "started")) != started:
                table.update_cell(key, "started", started, update_width=True)

    # -- selection ---------------------------------------------------------------------
    def selected(self):
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - an empty or changing table
            return None
        return self.sweeps.get(int(key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    # -- actions -----------------------------------------------------------------------
    def action_open(self) -> None:
        sweep = self.selected()
        if sweep is not None:
            self.snaptui.open_sweep(sweep.id)

    def action_quit(self) -> None:
        self.app.exit(0)

    def action_launch(self) -> None:
        self.snaptui.open_launch(self.snaptui.default_profile)

    def action_snapshots(self) -> None:
        self.snaptui.open_snapshots()

    def action_filter(self) -> None:
        self.query_one("#filter", FilterBox).open()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter_text = event.value.strip()
            self._rebuild()

    def action_cancel_sweep(self) -> None:
        sweep = self.selected()
        if sweep is None:
            return
        live = sum(n for s, n in sweep.counts.items() if not s.is_final)
        if not live:
            self.notify(f"sweep {sweep.id} {sweep.name} has no unfinished job", severity="warning")
            return

        self.snaptui.confirm(
            Confirmation(f"Cancel sweep {sweep.id} {sweep.name}?", f"{live:,} unfinished jobs will be cancelled."),
            lambda: self.snaptui.command("cancel", self.engine.cancel_sweep, sweep.id,
                                         done=lambda jobs: self.notify(f"sweep {sweep.id}: {cancel_outcome(jobs)}")))

    def action_resubmit_failed(self) -> None:
        sweep = self.selected()
        if sweep is None:
            return
        n = sum(sweep.counts.get(s, 0) for s in RETRYABLE_STATES)
        if not n:
            self.notify(f"sweep {sweep.id} has no failed, cancelled or timed-out job", severity="warning")
            return

        phrase = states_phrase({s: n for s, n in sweep.counts.items() if s in RETRYABLE_STATES})
        self.snaptui.confirm(
            Confirmation(f"Resubmit {jobs_phrase(n)} of sweep {sweep.id} {sweep.name} ({phrase})?",
                         "Every failed, cancelled and timed-out job gets a new attempt.", yes="Resubmit", danger=False),
            lambda: self.snaptui.command("resubmit", self.engine.resubmit_failed, sweep.id,
                                         done=lambda jobs: self.notify(
                                             f"resubmitted {jobs_phrase(len(jobs))} of sweep {sweep.id}")))
