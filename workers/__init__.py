"""RQ jobs for the dialer. Jobs are thin: they build the process's Dialer once and call ivr.dialer.batch."""
