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

# The Debian releases the test hosts run, oldest first. bootstrap builds an image of each;
# the default molecule scenario runs on each; the local cluster, the ha scenario and a plain
# `molecule test` use the first (TESTHOST_DEFAULT_RELEASE).
TESTHOST_RELEASES=(bookworm trixie)
TESTHOST_DEFAULT_RELEASE="${TESTHOST_RELEASES[0]}"

# testhost_image [RELEASE]: the test-host image tag of RELEASE (default: the default release),
# a hash of the recipe, so it is rebuilt only when the recipe changes.
# MESOS_TESTHOST_IMAGE_<RELEASE> (e.g. MESOS_TESTHOST_IMAGE_TRIXIE) overrides one release, and
# MESOS_TESTHOST_IMAGE the default release (for a user who can pull an image instead).
testhost_image() {
  local release="${1:-$TESTHOST_DEFAULT_RELEASE}" override
  override="MESOS_TESTHOST_IMAGE_${release^^}"
  if [[ -n "${!override:-}" ]]; then
    echo "${!override}"
    return
  fi
  if [[ "$release" == "$TESTHOST_DEFAULT_RELEASE" && -n "${MESOS_TESTHOST_IMAGE:-}" ]]; then
    echo "$MESOS_TESTHOST_IMAGE"
    return
  fi
  testhost_recipe_image "$release"
}

# testhost_recipe_image RELEASE: the tag images/testhost/build gives RELEASE's image, whatever
# the environment names.
testhost_recipe_image() {
  local digest
  digest="$(cd "$TESTHOST_RECIPE_DIR" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)"
  echo "mesos-ansible/testhost:$1-$digest"
}

activate_venv() {
  # shellcheck disable=SC1091
  source "$VENV/bin/activate"
  export MESOS_TESTHOST_IMAGE="${MESOS_TESTHOST_IMAGE:-$(testhost_image)}"
  local release
  for release in "${TESTHOST_RELEASES[@]}"; do
    export "MESOS_TESTHOST_IMAGE_${release^^}=$(testhost_image "$release")"
  done
  export MESOS_TESTHOST_RELEASES="${TESTHOST_RELEASES[*]}"
  export MESOS_LAB_NETWORK="$LAB_NETWORK"
  export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
}
