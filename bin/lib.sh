# Shared settings and helpers for the scripts in bin/ and images/. Source it; do not run it.
# shellcheck shell=bash

ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
VENV="${VENV:-$ROOT/.venv}"
WHEELHOUSE="${WHEELHOUSE:-$ROOT/build/wheels}"
# The docker network the local cluster and the molecule scenarios put their hosts on.
LAB_NETWORK="${MESOS_LAB_NETWORK:-mesos-lab}"
TESTHOST_RECIPE_DIR="$ROOT/images/testhost"

log() { printf '%s %s\n' "[$(basename "$0")]" "$*" >&2; }
die() {
  printf '%s ERROR: %s\n' "[$(basename "$0")]" "$*" >&2
  exit 1
}

# The test-host image tag: a hash of its recipe, so it is rebuilt only when the recipe
# changes. MESOS_TESTHOST_IMAGE overrides it (for a user who can pull an image instead).
testhost_image() {
  if [[ -n "${MESOS_TESTHOST_IMAGE:-}" ]]; then
    echo "$MESOS_TESTHOST_IMAGE"
    return
  fi
  local digest
  digest="$(cd "$TESTHOST_RECIPE_DIR" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)"
  echo "mesos-ansible/testhost:$digest"
}

activate_venv() {
  # shellcheck disable=SC1091
  source "$VENV/bin/activate"
  export MESOS_TESTHOST_IMAGE="${MESOS_TESTHOST_IMAGE:-$(testhost_image)}"
  export MESOS_LAB_NETWORK="$LAB_NETWORK"
  export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
}
