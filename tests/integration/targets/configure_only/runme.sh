#!/usr/bin/env bash
# Configure two unpacked test packs as a manager and a worker with carbon_install and
# carbon_manage_service false, and prove that only the product's configuration changed.
# A check run changes no file. A real run changes only repository/conf/* and
# bin/wso2server.sh, plus their .orig backups. A second run changes nothing.
set -euxo pipefail

target_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}"

# The test pack generator is not part of the target, so look for it in the checkout around this
# target and then in the collections that ansible-test puts on ANSIBLE_COLLECTIONS_PATH.
make_pack=""
for root in "${target_dir}/../../../.." ${ANSIBLE_COLLECTIONS_PATH//:/ }; do
    for candidate in "${root}/tests/carbon_test_pack/make_pack.py" \
            "${root}/ansible_collections/wso2_carbon/clustering/tests/carbon_test_pack/make_pack.py"; do
        if [[ -z "${make_pack}" && -f "${candidate}" ]]; then
            make_pack="${candidate}"
        fi
    done
done
if [[ -z "${make_pack}" ]]; then
    echo "tests/carbon_test_pack/make_pack.py not found next to this target or on ANSIBLE_COLLECTIONS_PATH" >&2
    exit 1
fi

work_dir="$(mktemp -d)"
trap 'rm -rf "${work_dir}"' EXIT

"${python}" "${make_pack}" \
    --product wso2as --version 5.3.0 --output-dir "${work_dir}/packs"
for node in manager worker; do
    mkdir "${work_dir}/${node}"
    unzip -q "${work_dir}/packs/wso2as-5.3.0.zip" -d "${work_dir}/${node}"
done

snapshot() {
    "${python}" "${target_dir}/tree_checksums.py" snapshot "${work_dir}/$1/wso2as-5.3.0" "${work_dir}/$1-$2.json"
}
compare() {
    "${python}" "${target_dir}/tree_checksums.py" compare "${work_dir}/$1-$2.json" "${work_dir}/$1-$3.json" "$4"
}

run_playbook() {
    ansible-playbook -i "${target_dir}/inventory.yml" -e "configure_only_dir=${work_dir}" \
        "${target_dir}/configure.yml" "$@" | tee "${work_dir}/last-run.log"
}

# Report any host of the last run whose recap shows a change or a failure.
recap_problems() {
    sed -n '/^PLAY RECAP/,$p' "${work_dir}/last-run.log" | grep -E 'changed=[1-9]|failed=[1-9]|unreachable=[1-9]' || true
}

for node in manager worker; do snapshot "${node}" shipped; done

run_playbook --check --diff
for node in manager worker; do snapshot "${node}" checked; compare "${node}" shipped checked none; done

run_playbook --diff
for node in manager worker; do snapshot "${node}" configured; compare "${node}" shipped configured configure; done

run_playbook
problems="$(recap_problems)"
if [ -n "${problems}" ]; then
    echo "The second run changed or failed on these hosts, expected no change: ${problems}" >&2
    exit 1
fi
for node in manager worker; do snapshot "${node}" again; compare "${node}" configured again none; done

# The rendered files differ between the node types where carbon_sub_domain selects a value.
grep -q '<property name="subDomain" value="mgt"/>' "${work_dir}/manager/wso2as-5.3.0/repository/conf/axis2/axis2.xml"
grep -q '<property name="subDomain" value="worker"/>' "${work_dir}/worker/wso2as-5.3.0/repository/conf/axis2/axis2.xml"
grep -q -- '-DworkerNode=true' "${work_dir}/worker/wso2as-5.3.0/bin/wso2server.sh"
grep -q -- '-DworkerNode=false' "${work_dir}/manager/wso2as-5.3.0/bin/wso2server.sh"

# The manager keeps the extra datasource of its inventory, and the worker has none.
grep -q '<name>EXTRA_TEST_DB</name>' "${work_dir}/manager/wso2as-5.3.0/repository/conf/datasources/master-datasources.xml"
if grep -q 'EXTRA_TEST_DB' "${work_dir}/worker/wso2as-5.3.0/repository/conf/datasources/master-datasources.xml"; then
    echo "The worker's master-datasources.xml contains the manager's extra datasource." >&2
    exit 1
fi
