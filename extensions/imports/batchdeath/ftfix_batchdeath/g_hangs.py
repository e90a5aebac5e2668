"""Never finishes importing."""

import time


def wait_forever():
    time.sleep(3600)


wait_forever()
