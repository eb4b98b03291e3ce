"""How the sweep screen lays out its jobs: the grid's axes and slices, heatmap mode, aggregate and
goal, the table's sort."""
from __future__ import annotations

from textual.widgets import ContentSwitcher

from snaptui.widgets.jobtable import JobTable
from snaptui.widgets.matrix import Matrix


class SweepViewActions:
    """Mixin for SweepScreen: needs `model`, `selected_job()`, `action_toggle_table()`, `_show_axes()`
    and `_show_selected()`."""

    def action_cycle_view(self) -> None:
        if self.model is None:
            return
        modes = ["state"] + self.model.result_names
        if len(modes) == 1:
            self.notify("no job has reported a result yet", severity="warning")
            return
        matrix = self.query_one(Matrix)
        matrix.mode = modes[(modes.index(matrix.mode) + 1) % len(modes)] if matrix.mode in modes else "state"
        if self.query_one(ContentSwitcher).current == "table":
            self.action_toggle_table()
        matrix.relayout()
        self._show_axes()

    def action_aggregate(self) -> None:
        matrix = self.query_one(Matrix)
        if matrix.mode == "state":
            self.action_cycle_view()
            if matrix.mode == "state":
                return
        matrix.aggregate = not matrix.aggregate
        matrix.relayout()
        self._show_axes()

    def action_goal(self) -> None:
        matrix = self.query_one(Matrix)
        if matrix.mode != "state":
            matrix.goals[matrix.mode] = "max" if matrix.goal() == "min" else "min"
            matrix.refresh()
            self._show_axes()

    def _regrid(self) -> None:
        job = self.selected_job()
        matrix = self.query_one(Matrix)
        matrix.relayout()
        if job is not None and self.model.position(job.index) is not None:
            matrix.select_job(job.index)
        self._show_axes()
        self._show_selected()

    def action_row_axis(self) -> None:
        if self.model is not None and self.model.cycle_axis("row"):
            self._regrid()

    def action_col_axis(self) -> None:
        if self.model is not None and self.model.cycle_axis("col"):
            self._regrid()

    def action_next_slice(self) -> None:
        if self.model is not None and self.model.step_slice(1):
            self._regrid()

    def action_prev_slice(self) -> None:
        if self.model is not None and self.model.step_slice(-1):
            self._regrid()

    def action_sort(self) -> None:
        if self.query_one(ContentSwitcher).current != "table":
            self.action_toggle_table()
        self.query_one(JobTable).cycle_sort()
        self._show_axes()

    def action_reverse(self) -> None:
        if self.query_one(ContentSwitcher).current != "table":
            self.action_toggle_table()
        self.query_one(JobTable).reverse()
        self._show_axes()
