import random
import time
import uuid


def new_session_id() -> str:
    return "%x" % random.getrandbits(64)


class Sessions:
    def __init__(self) -> None:
        self.next_id = 0

    def open(self) -> str:
        self.next_id += 1
        session_id = f"s{self.next_id}"
        return session_id


def legacy() -> str:
    session_id = uuid.uuid1().hex
    return session_id


def timed() -> dict:
    return {"session_id": str(int(time.time() * 1000))}
# ruff: noqa
