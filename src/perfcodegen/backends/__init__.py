"""Where judge jobs run besides this machine's fork-server pool (`perfcodegen.judge.pool`):
Ray (`backends.ray`)."""
