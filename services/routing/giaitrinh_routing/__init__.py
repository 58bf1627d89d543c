"""routing — who handles a request and by when: locality and unit registry, routing rules,
the case state machine, statutory deadlines, the deadline watcher, commitments."""
