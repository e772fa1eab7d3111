# shellcheck shell=bash
# Shared settings and helpers for scripts/setup, scripts/build-image, scripts/test and scripts/demo.
# Source this file. It defines variables and functions and runs nothing.

# The scripts that source this file use these variables.
# shellcheck disable=SC2034
WSO2CC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
WSO2CC_CACHE="${WSO2CC_ROOT}/.cache"
WSO2CC_VENV="${WSO2CC_ROOT}/.venv"
WSO2CC_IMAGE="wso2-carbon-clustering/debian12-systemd"
WSO2CC_COLLECTION_NS="wso2_carbon"
WSO2CC_COLLECTION_NAME="clustering"

wso2cc_log() {
    printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

wso2cc_die() {
    wso2cc_log "ERROR: $*"
    exit 1
}

# Print the image tag: the first 12 hex digits of the SHA-256 of scripts/build-image,
# which contains the package list, so a new list or build step gives a new tag.
wso2cc_image_tag() {
    sha256sum "${WSO2CC_ROOT}/scripts/build-image" | cut -c1-12
}

# Export what ansible, ansible-playbook, ansible-test and molecule need to run from the
# checkout. ANSIBLE_HOME points inside the checkout, where scripts/setup links the
# collection under .ansible/collections. ANSIBLE_COLLECTIONS_PATH stays unset because
# it hides that link from Molecule's prerun.
wso2cc_export_env() {
    export PATH="${WSO2CC_VENV}/bin:${PATH}"
    export ANSIBLE_HOME="${WSO2CC_ROOT}/.ansible"
    export WSO2CC_IMAGE
}
