#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the wso2_carbon.clustering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
module: cluster_preflight
short_description: Check the whole inventory of a WSO2 Carbon cluster before any host changes
version_added: 0.1.0
description:
  - Takes the inventory model of the cluster, one entry per host with its groups and variables, and checks
    that the hosts form a valid worker/manager cluster for the chosen clustering pattern.
  - Reports every problem at once and fails when there is any. Each problem names the host, the variable,
    the value seen, what is wrong and how to fix it.
  - 'Checks: C(carbon_cluster_pattern) is 1, 2 or 3 on every host and the same everywhere. The group sizes
    fit the pattern: one manager in pattern 1 and two in patterns 2 and 3, at least two workers, one load
    balancer in patterns 1 and 2 and two in pattern 3, and at least one database host. No host is both a
    manager and a worker.'
  - 'C(carbon_sub_domain) is V(mgt) on managers and V(worker) on workers. C(carbon_cluster_domain),
    C(carbon_product), C(carbon_product_version), C(carbon_worker_hostname) and C(carbon_manager_hostname)
    are set on every manager and worker and identical wherever they are set, and the two host names differ.'
  - 'C(carbon_member_host), when set, is an IPv4 address other than loopback, C(carbon_member_port) is an
    integer from 1 to 65535 (default 4000), and each member address and port pair is unique.
    C(carbon_manager_mode) is V(active_passive) or V(active_active), and C(carbon_active_manager) names a
    manager.'
  - 'In pattern 3, one load balancer has C(load_balancer_sub_domains=[worker]) and the other
    C([mgt]). In patterns 1 and 2, C(load_balancer_sub_domains), when set, contains only V(worker) and V(mgt).'
  - C(carbon_db_password) on managers, workers and database hosts, and C(carbon_admin_password) on managers
    and workers, are set, not empty and not a placeholder such as V(CHANGE_ME).
  - More than one database host is a warning, not a problem, because C(carbon_db_host) defaults to the first one
    and per-database overrides may use the others.
  - The module never changes anything, so it can run on any host, for example once on the controller.
author:
  - WSO2 Carbon clustering collection maintainers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  nodes:
    description:
      - One entry per host of the cluster.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description:
          - The host's C(inventory_hostname).
        type: str
        required: true
      groups:
        description:
          - The host's C(group_names).
        type: list
        elements: str
        default: []
      default_member_host:
        description:
          - The host's default IPv4 address from its facts (C(ansible_default_ipv4.address)), the member address
            that the roles use when C(carbon_member_host) is undefined. Without it, only explicit member addresses
            are checked for clashes.
        type: str
      vars:
        description:
          - The host's values of the variables below. Leave out a variable that is undefined. A null value
            counts as undefined.
          - The inventory contract in the collection's C(docs/design.md) describes each variable.
        type: dict
        default: {}
        suboptions:
          carbon_cluster_pattern:
            description: Clustering pattern, 1, 2 or 3, as an integer or a digit string.
            type: raw
          carbon_product:
            description: Product key, for example V(wso2as).
            type: raw
          carbon_product_version:
            description: Product version, for example V(5.3.0).
            type: raw
          carbon_cluster_domain:
            description: Hazelcast cluster domain.
            type: raw
          carbon_sub_domain:
            description: V(mgt) or V(worker).
            type: raw
          carbon_member_host:
            description: Member IPv4 address.
            type: raw
          carbon_member_port:
            description: Hazelcast member port.
            type: raw
          carbon_port_offset:
            description: Offset added to the product's HTTP and HTTPS ports; the member port must differ from them.
            type: raw
          carbon_worker_hostname:
            description: Host name of the workers at the load balancer.
            type: raw
          carbon_manager_hostname:
            description: Host name of the managers at the load balancer.
            type: raw
          carbon_manager_mode:
            description: V(active_passive) or V(active_active).
            type: raw
          carbon_active_manager:
            description: Inventory name of the manager that writes deployment sync.
            type: raw
          carbon_db_password:
            description: Database password. Its value never appears in the result.
            type: raw
          carbon_admin_password:
            description: Carbon admin password. Its value never appears in the result.
            type: raw
          load_balancer_sub_domains:
            description: Sub-domains that a load balancer serves, a list of V(worker) and V(mgt).
            type: raw
notes:
  - Ansible hides the values of the two password options wherever they occur in the result. A short or common
    password may therefore mask parts of unrelated text.
"""

EXAMPLES = r"""
- name: Check the inventory model before any host changes
  wso2_carbon.clustering.cluster_preflight:
    nodes:
      - host: p1-manager
        groups: [carbon_managers]
        vars:
          carbon_cluster_pattern: 1
          carbon_sub_domain: mgt
          carbon_member_host: 172.28.1.21
          carbon_member_port: 4100
          carbon_product: wso2as
          carbon_product_version: 5.3.0
          carbon_cluster_domain: wso2.as.domain
          carbon_worker_hostname: as.wso2.test
          carbon_manager_hostname: mgt.as.wso2.test
          carbon_db_password: "{{ vault_carbon_db_password }}"
          carbon_admin_password: "{{ vault_carbon_admin_password }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
problems:
  description:
    - Every problem found, in the order of the checks. Empty when the inventory is valid.
    - 'The failure message lists the same problems, one a line, as C(<host>: <variable>=<value>: <message> Fix:
      <fix>).'
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: Inventory host name, or V(inventory) for a problem of a whole group.
      type: str
    variable:
      description: The variable, or C(groups['<group>']) for a group.
      type: str
    value:
      description: The value seen, null when undefined. Secrets appear as C(********), or empty when empty.
      type: raw
    message:
      description: What is wrong.
      type: str
    fix:
      description: What to change.
      type: str
  sample:
    - host: p2-manager-2
      variable: carbon_sub_domain
      value: worker
      message: A host in carbon_managers must have the sub-domain 'mgt'.
      fix: 'Set carbon_sub_domain: mgt in group_vars/carbon_managers and remove host overrides.'
warnings_found:
  description: Findings that do not stop the deployment, in the same form as RV(problems).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wso2_carbon.clustering.plugins.module_utils.cluster_preflight import (
    SECRET_VARIABLES,
    VARIABLES,
    check_cluster,
    failure_message,
    format_problem,
)


def main():
    variable_spec = dict(
        (name, dict(type='raw', no_log=name in SECRET_VARIABLES)) for name in VARIABLES
    )
    module = AnsibleModule(
        argument_spec=dict(
            nodes=dict(type='list', elements='dict', required=True, options=dict(
                host=dict(type='str', required=True),
                groups=dict(type='list', elements='str', default=[]),
                default_member_host=dict(type='str'),
                vars=dict(type='dict', default={}, options=variable_spec),
            )),
        ),
        supports_check_mode=True,
    )

    problems, warnings = check_cluster(module.params['nodes'])
    for warning in warnings:
        module.warn(format_problem(warning))
    result = dict(changed=False, problems=problems, warnings_found=warnings)
    if problems:
        module.fail_json(msg=failure_message(problems), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
