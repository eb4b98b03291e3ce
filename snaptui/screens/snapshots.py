"""Snapshot branches: commit, age, sweeps using them, worktree disk use, what went in; gc with confirmation."""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Static

from snaptui.display import actions
from snaptui.widgets.footer import SnaptuiFooter
from snaptui.widgets.lists import ListTable
from snaptui.format import duration, size_text
from .base import EngineCalls, EngineScreen

DIFF_LIMIT = 200


class SnapshotsScreen(EngineScreen):
    SCOPE = "snapshots"
    BINDINGS = actions.bindings("snapshots")
    AUTO_FOCUS = "#snapshot-table"

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, object] = {}
        self.bases: dict[str, str] = {}
        self.marked: str | None = None   # a branch to compare another snapshot with
        self._read_at = 0.0   # when the list was read: ages count on from there

    def compose(self) -> ComposeResult:
        yield Static(Text("snapshots", style="bold") + Text("  branches and worktrees of your launches", style="dim"),
                     classes="title-bar")
        with Vertical(id="snapshots-body"):
            yield ListTable(id="snapshot-table", cursor_type="row")
            yield Static("", id="snapshot-detail")
        yield SnaptuiFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("branch", "branch"), ("commit", "commit"), ("age", "age"), ("sweeps", "sweeps"),
                           ("disk", "worktree"), ("live", "in use")):
            table.add_column(label, key=key)
        self.action_reload()
        self.set_interval(1.0, self._tick, name="ages")

    def _tick(self) -> None:
        """The ages count on as the list stays open."""
        table = self.query_one(DataTable)
        since = self.now() - self._read_at
        for branch, row in self.rows.items():
            age = duration(row.age_s + since)
            if str(table.get_cell(branch, "age")) != age:
                table.update_cell(branch, "age", age, update_width=True)

    def action_reload(self) -> None:
        self.query_one("#snapshot-detail", Static).update("reading snapshots (git and disk use)…")
        self._read_snapshots()

    @work(thread=True, exit_on_error=False, group="snapshots", name="snapshots", description="read snapshots")
    def _read_snapshots(self) -> None:
        self.hand_back(self._loaded, self.engine.snapshots())

    def _loaded(self, rows: list) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.rows = {row.branch: row for row in rows}
        self.bases = {}
        names: dict[int, str] = {}
        try:
            for sweep in self.engine.sweeps():   # the store is local and fast; gives the names and base commits
                names[sweep.id] = sweep.name
                if sweep.snapshot and sweep.snapshot.get("base_commit"):
                    self.bases[sweep.snapshot["branch"]] = sweep.snapshot["base_commit"]
        except Exception:  # noqa: BLE001 - only a detail
            pass
        self._read_at = self.now()
        for row in rows:
            table.add_row(row.branch, row.commit[:10], duration(row.age_s),
                          ", ".join(f"{i} {names[i]}" if i in names else str(i) for i in row.sweeps) or "-",
                          size_text(row.disk_bytes), Text("live", style="bold") if row.in_use else "", key=row.branch)
        if not rows:
            self.query_one("#snapshot-detail", Static).update(
                "No snapshot branches yet: every launch with snapshots on creates one.")
        else:
            self._show_detail()

    def selected(self):
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(key)

    # -- which code did this job run? ------------------------------------------------------------
    def action_diff_base(self) -> None:
        row = self.selected()
        if row is not None:
            self.snaptui.open_diff(row.commit, "base",
                                   f"{row.branch}: what it holds beyond the commit it was taken from")

    def action_diff_worktree(self) -> None:
        row = self.selected()
        if row is not None:
            self.snaptui.open_diff(row.commit, "worktree", f"your working tree now against {row.branch}")

    def action_mark(self) -> None:
        row = self.selected()
        if row is not None:
            self.marked = None if self.marked == row.branch else row.branch
            self.notify(f"marked {row.branch}: D compares it with another" if self.marked else "unmarked",
                        timeout=4)

    def action_diff_marked(self) -> None:
        row, marked = self.selected(), self.rows.get(self.marked or "")
        if row is None or marked is None or marked is row:
            self.notify("mark a snapshot with space, then D on another", severity="warning", timeout=4)
            return
        self.snaptui.open_diff(row.commit, marked.commit, f"{row.branch} against {marked.branch}")

    def on_data_table_row_highlighted(self, _event) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        row = self.selected()
        if row is None:
            return
        detail = self.query_one("#snapshot-detail", Static)
        text = Text()
        text.append(f"{row.branch}", style="bold")
        text.append(f"  commit {row.commit[:12]}")
        if row.branch in self.bases:
            text.append(f"  taken from {self.bases[row.branch][:12]}")
        text.append("\n")
        text.append(f"worktree {row.worktree or '(removed)'}\n", style="dim")
        detail.update(text)
        self._read_diff(row.branch, row.commit, text)

    @work(thread=True, exit_on_error=False, group="diff", name="diff", description="what went in a snapshot")
    def _read_diff(self, branch: str, commit: str, text: Text) -> None:
        self.hand_back(self._show_diff, branch, text, self.engine.diff(commit))

    def _show_diff(self, branch: str, text: Text, changes: list) -> None:
        current = self.selected()
        if current is None or current.branch != branch:
            return
        out = text.copy()
        if not changes:
            out.append("no uncommitted edits: the commit it was taken from, as is", style="dim")
        else:
            files = "1 file" if len(changes) == 1 else f"{len(changes):,} files"
            out.append(f"{files} with uncommitted edits went in: ", style="bold")
            out.append("  ".join(f"{status} {path}" for status, path in changes[:DIFF_LIMIT]))
        self.query_one("#snapshot-detail", Static).update(out)

    def action_gc(self) -> None:
        self.app.push_screen(GcScreen(), lambda removed: removed and self.action_reload())


class GcScreen(EngineCalls, ModalScreen[bool]):
    """Choose the age and whether branches go too; shows the dry run; focus starts on Cancel."""

    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel", id="gc.cancel"), *actions.dialog_bindings()]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Remove old snapshot worktrees?", id="dialog-title")
            with Horizontal(classes="gc-options"):
                yield Input("14d", id="older", placeholder="older than, e.g. 14d or 12h")
                yield Checkbox("delete branches too", id="branches")
            yield Static("", id="dialog-body")
            with Horizontal(id="dialog-buttons"):
                yield Button("Remove", id="yes", variant="error")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()
        self._preview()

    def _options(self):
        return self.app.engine.parse_age(self.query_one("#older", Input).value.strip() or "14d"), \
            self.query_one("#branches", Checkbox).value

    def _preview(self) -> None:
        body = self.query_one("#dialog-body", Static)
        try:
            age, branches = self._options()
        except Exception as exc:  # noqa: BLE001 - a bad age: say so
            body.update(Text(str(exc), style="bold"))
            return

        self._dry_run(age, branches)

    @work(thread=True, exit_on_error=False, group="gc-preview", name="gc", description="gc dry run")
    def _dry_run(self, age: float, branches: bool) -> None:
        self.hand_back(self._show_dry_run, self.app.engine.gc(older_than_s=age, dry_run=True,
                                                              delete_branches=branches))

    def _show_dry_run(self, items: list) -> None:
        body = self.query_one("#dialog-body", Static)
        if not items:
            body.update("Nothing is that old and unused: nothing would be removed.")
        else:
            body.update("Would remove (snapshots of live jobs are kept):\n" + "\n".join(
                f"  • {item}" for item in items[:12]) + (f"\n  … and {len(items) - 12} more" if len(items) > 12
                                                       else ""))

    def on_input_changed(self, _event) -> None:
        self._preview()

    def on_checkbox_changed(self, _event) -> None:
        self._preview()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id != "yes":
            self.dismiss(False)
            return
        try:
            age, branches = self._options()
        except Exception as exc:  # noqa: BLE001
            self.notify(str(exc), severity="error")
            return
        app = self.app

        def done(items: list) -> None:
            app.notify(f"removed {len(items)} items" if items else "nothing to remove")
            self.dismiss(True)

        event.button.disabled = True
        self.query_one("#dialog-body", Static).update("removing…")
        app.command("gc", app.engine.gc, older_than_s=age, dry_run=False, delete_branches=branches,
                    done=done, failed=lambda _exc: self.dismiss(False), caller=self)
