"""The labelled projects under projects/ are data (sources of other programs), not tests."""

collect_ignore_glob = ["projects/*"]
