"""A test-only executor, written as docs/extending.md's "An executor" says: this folder and one
registration (the entry point the test installs: ``dummy = tests.dummy_executor:register``).

It runs each job as it is submitted, to its end, in the submitting process: a scheduler of one slot."""


def register(register_executor) -> None:
    register_executor("dummy", settings="tests.dummy_executor.settings:DummyProfile",
                      executor="tests.dummy_executor.executor:DummyExecutor")
