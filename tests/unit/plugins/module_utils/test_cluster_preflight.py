# -*- coding: utf-8 -*-
# Copyright: Contributors to the wso2_carbon.clustering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.wso2_carbon.clustering.plugins.module_utils.cluster_preflight import (
    check_cluster,
    failure_message,
    format_problem,
)

DB_PASSWORD = 'db-Secret-4711'
ADMIN_PASSWORD = 'admin-Secret-0815'

SHARED = {
    'carbon_product': 'wso2as',
    'carbon_product_version': '5.3.0',
    'carbon_cluster_domain': 'wso2.as.domain',
    'carbon_worker_hostname': 'as.wso2.test',
    'carbon_manager_hostname': 'mgt.as.wso2.test',
    'carbon_db_password': DB_PASSWORD,
    'carbon_admin_password': ADMIN_PASSWORD,
}

# Hosts of the example inventories: (name, group, last address octet, member port, extra variables).
HOSTS = {
    1: [
        ('p1-lb', 'carbon_load_balancers', 10, None, {}),
        ('p1-manager', 'carbon_managers', 21, 4100, {}),
        ('p1-worker-1', 'carbon_workers', 31, 4200, {}),
        ('p1-worker-2', 'carbon_workers', 32, 4300, {}),
        ('p1-db', 'carbon_databases', 40, None, {}),
    ],
    2: [
        ('p2-lb', 'carbon_load_balancers', 10, None, {'load_balancer_sub_domains': ['worker', 'mgt']}),
        ('p2-manager-1', 'carbon_managers', 21, 4000, {}),
        ('p2-manager-2', 'carbon_managers', 22, 4000, {}),
        ('p2-worker-1', 'carbon_workers', 31, 4000, {}),
        ('p2-worker-2', 'carbon_workers', 32, 4000, {}),
        ('p2-db', 'carbon_databases', 40, None, {}),
    ],
    3: [
        ('p3-lb-worker', 'carbon_load_balancers', 10, None, {'load_balancer_sub_domains': ['worker']}),
        ('p3-lb-mgt', 'carbon_load_balancers', 11, None, {'load_balancer_sub_domains': ['mgt']}),
        ('p3-manager-1', 'carbon_managers', 21, 4000, {}),
        ('p3-manager-2', 'carbon_managers', 22, 4000, {}),
        ('p3-worker-1', 'carbon_workers', 31, 4000, {}),
        ('p3-worker-2', 'carbon_workers', 32, 4000, {}),
        ('p3-db', 'carbon_databases', 40, None, {}),
    ],
}

SUB_DOMAIN = {'carbon_managers': 'mgt', 'carbon_workers': 'worker'}


def make_model(pattern):
    """Return a valid inventory model for the pattern, shaped as the preflight role builds it."""
    nodes = []
    for host, group, octet, port, extra in HOSTS[pattern]:
        variables = dict(SHARED, carbon_cluster_pattern=pattern, carbon_manager_mode='active_passive')
        if group in SUB_DOMAIN:
            variables['carbon_sub_domain'] = SUB_DOMAIN[group]
            variables['carbon_member_host'] = '172.28.%d.%d' % (pattern, octet)
            variables['carbon_member_port'] = port
        variables.update(extra)
        nodes.append({'host': host, 'groups': [group], 'vars': variables})
    return nodes


def node(model, host):
    return next(entry for entry in model if entry['host'] == host)


def problem_for(problems, host, variable):
    """Return the only problem for host and variable, so the test fails on none or several."""
    matching = [problem for problem in problems if problem['host'] == host and problem['variable'] == variable]
    assert len(matching) == 1, json.dumps(problems, indent=1)
    return matching[0]


@pytest.mark.parametrize('pattern', [1, 2, 3])
def test_valid_model_passes(pattern):
    problems, warnings = check_cluster(make_model(pattern))

    assert problems == []
    assert warnings == []


def test_pattern_as_digit_string_passes():
    model = make_model(2)
    for entry in model:
        entry['vars']['carbon_cluster_pattern'] = '2'

    assert check_cluster(model) == ([], [])


def test_undefined_optional_variables_pass():
    model = make_model(1)
    for entry in model:
        for name in ('carbon_member_host', 'carbon_member_port', 'carbon_manager_mode'):
            entry['vars'].pop(name, None)

    assert check_cluster(model) == ([], [])


@pytest.mark.parametrize('value', [4, 'two', True, '0'])
def test_invalid_pattern(value):
    model = make_model(1)
    node(model, 'p1-db')['vars']['carbon_cluster_pattern'] = value
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'p1-db', 'carbon_cluster_pattern')
    assert problem['value'] == value
    assert 'not 1, 2 or 3' in problem['message']


def test_undefined_pattern():
    model = make_model(1)
    del node(model, 'p1-lb')['vars']['carbon_cluster_pattern']
    problems, _warnings = check_cluster(model)

    assert problem_for(problems, 'p1-lb', 'carbon_cluster_pattern')['value'] is None


def test_pattern_differs_between_hosts():
    model = make_model(2)
    node(model, 'p2-worker-2')['vars']['carbon_cluster_pattern'] = 3
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'p2-worker-2', 'carbon_cluster_pattern')
    assert problem['message'] == 'The host uses pattern 3, but 5 of 6 hosts use pattern 2.'


@pytest.mark.parametrize('pattern, group, expected', [
    (1, 'carbon_managers', 1),
    (2, 'carbon_managers', 2),
    (3, 'carbon_managers', 2),
    (1, 'carbon_load_balancers', 1),
    (3, 'carbon_load_balancers', 2),
])
def test_group_size_must_fit_pattern(pattern, group, expected):
    model = make_model(pattern)
    model.append({'host': 'extra.test', 'groups': [group], 'vars': copy.deepcopy(model[-2]['vars'])})
    model[-1]['vars'].pop('carbon_member_host', None)
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'inventory', "groups['%s']" % group)
    assert 'extra.test' in problem['value']
    assert 'exactly %d' % expected in problem['message']


def test_too_few_workers():
    model = [entry for entry in make_model(2) if entry['host'] != 'p2-worker-2']
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'inventory', "groups['carbon_workers']")
    assert problem['value'] == ['p2-worker-1']
    assert 'at least 2 workers' in problem['message']


def test_no_database_host():
    model = [entry for entry in make_model(1) if entry['host'] != 'p1-db']
    problems, _warnings = check_cluster(model)

    assert problem_for(problems, 'inventory', "groups['carbon_databases']")['value'] == []


def test_second_database_host_warns():
    model = make_model(1)
    model.append({'host': 'p1-db-2', 'groups': ['carbon_databases'], 'vars': dict(node(model, 'p1-db')['vars'])})
    problems, warnings = check_cluster(model)

    assert problems == []
    assert len(warnings) == 1
    assert warnings[0]['value'] == ['p1-db', 'p1-db-2']
    assert 'only p1-db serves the cluster' in warnings[0]['message']


def test_host_in_managers_and_workers():
    model = make_model(1)
    node(model, 'p1-worker-1')['groups'].append('carbon_managers')
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'p1-worker-1', 'group_names')
    assert problem['value'] == ['carbon_workers', 'carbon_managers']
    assert 'both carbon_managers and carbon_workers' in problem['message']


@pytest.mark.parametrize('host, value, expected', [
    ('p2-manager-2', 'worker', 'mgt'),
    ('p2-worker-1', 'mgt', 'worker'),
    ('p2-worker-2', None, 'worker'),
])
def test_wrong_sub_domain(host, value, expected):
    model = make_model(2)
    node(model, host)['vars']['carbon_sub_domain'] = value
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, host, 'carbon_sub_domain')
    assert problem['value'] == value
    assert "sub-domain '%s'" % expected in problem['message']


@pytest.mark.parametrize('variable', [
    'carbon_cluster_domain',
    'carbon_product',
    'carbon_product_version',
    'carbon_worker_hostname',
    'carbon_manager_hostname',
])
def test_shared_variable_undefined(variable):
    model = make_model(3)
    del node(model, 'p3-worker-1')['vars'][variable]
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'p3-worker-1', variable)
    assert problem['value'] is None
    assert 'undefined or empty' in problem['message']


@pytest.mark.parametrize('variable, value', [
    ('carbon_cluster_domain', 'wso2.other.domain'),
    ('carbon_product', 'wso2esb'),
    ('carbon_product_version', '5.2.1'),
    ('carbon_worker_hostname', 'other.wso2.test'),
    ('carbon_manager_hostname', 'mgt.other.wso2.test'),
])
def test_shared_variable_differs(variable, value):
    model = make_model(3)
    node(model, 'p3-manager-2')['vars'][variable] = value
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'p3-manager-2', variable)
    assert problem['value'] == value
    assert 'which 6 of 7 hosts use' in problem['message']


def test_host_names_must_differ():
    model = make_model(1)
    for entry in model:
        entry['vars']['carbon_manager_hostname'] = 'as.wso2.test'
    problems, _warnings = check_cluster(model)

    assert len(problems) == len(model)
    assert problem_for(problems, 'p1-lb', 'carbon_manager_hostname')['fix'] == (
        'Give the managers their own name, for example mgt.as.wso2.test.')


@pytest.mark.parametrize('value, message', [
    ('127.0.0.1', 'loopback'),
    ('0.0.0.0', 'unspecified'),
    ('172.28.1', 'not an IPv4 address'),
    ('p1-worker-1.test', 'not an IPv4 address'),
    ('fd00::31', 'not an IPv4 address'),
    (17, 'not an IPv4 address'),
])
def test_invalid_member_host(value, message):
    model = make_model(1)
    node(model, 'p1-worker-1')['vars']['carbon_member_host'] = value
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'p1-worker-1', 'carbon_member_host')
    assert problem['value'] == value
    assert message in problem['message']


@pytest.mark.parametrize('value', [0, 65536, 'port', '-1', True, 4.5])
def test_invalid_member_port(value):
    model = make_model(1)
    node(model, 'p1-manager')['vars']['carbon_member_port'] = value
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'p1-manager', 'carbon_member_port')
    assert problem['value'] == value
    assert 'from 1 to 65535' in problem['message']


def test_member_port_digit_string_passes():
    model = make_model(1)
    node(model, 'p1-manager')['vars']['carbon_member_port'] = '4100'

    assert check_cluster(model) == ([], [])


def test_duplicate_member_address():
    model = make_model(2)
    node(model, 'p2-worker-2')['vars']['carbon_member_host'] = '172.28.2.31'
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'p2-worker-2', 'carbon_member_host')
    assert problem['value'] == '172.28.2.31:4000'
    assert 'also those of p2-worker-1' in problem['message']


def test_duplicate_of_fact_address_blames_override():
    model = make_model(2)
    # Both workers take their address from facts, as in the example inventories.
    for host, address in (('p2-worker-1', '172.28.2.31'), ('p2-worker-2', '172.28.2.32')):
        del node(model, host)['vars']['carbon_member_host']
        node(model, host)['default_member_host'] = address
    node(model, 'p2-worker-1')['vars']['carbon_member_host'] = '172.28.2.32'

    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'p2-worker-1', 'carbon_member_host')
    assert problem['value'] == '172.28.2.32:4000'
    assert 'p2-worker-2 uses its default IPv4 address' in problem['message']
    assert 'carbon_member_host on p2-worker-1' in problem['fix']
    assert [entry['host'] for entry in problems] == ['p2-worker-1']


def test_fact_addresses_without_overrides_pass():
    model = make_model(2)
    for entry in model:
        if 'carbon_member_host' in entry['vars']:
            entry['default_member_host'] = entry['vars'].pop('carbon_member_host')

    assert check_cluster(model) == ([], [])


@pytest.mark.parametrize('product, offset, port', [
    ('wso2as', None, 9763),
    ('wso2as', None, 9443),
    ('wso2as', 2, 9765),
    ('wso2esb', None, 8280),
    ('wso2esb', '1', 8244),
])
def test_member_port_on_product_port(product, offset, port):
    model = make_model(2)
    for entry in model:
        entry['vars']['carbon_product'] = product
    worker = node(model, 'p2-worker-1')['vars']
    worker['carbon_member_port'] = port
    if offset is not None:
        worker['carbon_port_offset'] = offset

    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'p2-worker-1', 'carbon_member_port')
    assert problem['value'] == port
    assert 'HTTP or HTTPS port of the product' in problem['message']


def test_member_port_beside_offset_ports_passes():
    model = make_model(2)
    node(model, 'p2-worker-1')['vars']['carbon_member_port'] = 9763
    node(model, 'p2-worker-1')['vars']['carbon_port_offset'] = 1

    assert check_cluster(model) == ([], [])


def test_same_address_other_port_passes():
    model = make_model(1)
    node(model, 'p1-worker-2')['vars']['carbon_member_host'] = '172.28.1.31'

    assert check_cluster(model) == ([], [])


def test_invalid_manager_mode():
    model = make_model(2)
    node(model, 'p2-lb')['vars']['carbon_manager_mode'] = 'active-active'
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'p2-lb', 'carbon_manager_mode')
    assert problem['value'] == 'active-active'
    assert 'active_passive, active_active' in problem['message']


def test_active_manager_not_a_manager():
    model = make_model(2)
    node(model, 'p2-manager-1')['vars']['carbon_active_manager'] = 'p2-worker-1'
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, 'p2-manager-1', 'carbon_active_manager')
    assert problem['value'] == 'p2-worker-1'
    assert 'p2-manager-1, p2-manager-2' in problem['message']


def test_active_manager_valid():
    model = make_model(3)
    for entry in model:
        entry['vars']['carbon_active_manager'] = 'p3-manager-2'

    assert check_cluster(model) == ([], [])


@pytest.mark.parametrize('worker_balancer, mgt_balancer, host, message', [
    (['worker'], ['worker'], 'p3-lb-mgt', 'Both load balancers serve the sub-domain worker'),
    (['worker'], None, 'p3-lb-mgt', 'Pattern 3 needs the sub-domain'),
    (['worker', 'mgt'], ['mgt'], 'p3-lb-worker', 'exactly one sub-domain'),
    (['worker'], ['manager'], 'p3-lb-mgt', 'distinct values from worker and mgt'),
    (['worker'], 'mgt', 'p3-lb-mgt', 'distinct values from worker and mgt'),
])
def test_pattern3_load_balancer_sub_domains(worker_balancer, mgt_balancer, host, message):
    model = make_model(3)
    node(model, 'p3-lb-worker')['vars']['load_balancer_sub_domains'] = worker_balancer
    node(model, 'p3-lb-mgt')['vars']['load_balancer_sub_domains'] = mgt_balancer
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, host, 'load_balancer_sub_domains')
    assert message in problem['message']


@pytest.mark.parametrize('pattern, value, valid', [
    (1, ['worker'], True),
    (1, ['worker', 'mgt'], True),
    (2, ['mgt', 'worker'], True),
    (2, ['worker', 'worker'], False),
    (1, ['console'], False),
    (2, [], False),
])
def test_pattern1_2_load_balancer_sub_domains(pattern, value, valid):
    model = make_model(pattern)
    load_balancer = 'p%d-lb' % pattern
    node(model, load_balancer)['vars']['load_balancer_sub_domains'] = value
    problems, _warnings = check_cluster(model)

    if valid:
        assert problems == []
    else:
        assert problem_for(problems, load_balancer, 'load_balancer_sub_domains')['value'] == value


@pytest.mark.parametrize('variable, host, value, message', [
    ('carbon_db_password', 'p1-db', None, 'undefined'),
    ('carbon_db_password', 'p1-worker-1', '', 'empty'),
    ('carbon_admin_password', 'p1-manager', 'CHANGE_ME', 'placeholder'),
    ('carbon_admin_password', 'p1-worker-2', 'changeme', 'placeholder'),
    ('carbon_db_password', 'p1-manager', 'Change-Me', 'placeholder'),
])
def test_secret_missing_or_placeholder(variable, host, value, message):
    model = make_model(1)
    if value is None:
        del node(model, host)['vars'][variable]
    else:
        node(model, host)['vars'][variable] = value
    problems, _warnings = check_cluster(model)

    problem = problem_for(problems, host, variable)
    assert message in problem['message']
    if value:
        assert problem['value'] == '********'
        assert value not in format_problem(problem)


def test_secret_not_needed_on_load_balancer():
    model = make_model(1)
    del node(model, 'p1-lb')['vars']['carbon_db_password']
    del node(model, 'p1-lb')['vars']['carbon_admin_password']

    assert check_cluster(model) == ([], [])


def test_numeric_secret_passes():
    model = make_model(1)
    for entry in model:
        entry['vars']['carbon_db_password'] = 84736251

    assert check_cluster(model) == ([], [])


def test_all_problems_reported_at_once():
    model = make_model(2)
    node(model, 'p2-manager-2')['vars']['carbon_sub_domain'] = 'worker'
    node(model, 'p2-worker-1')['vars']['carbon_member_host'] = '127.0.0.1'
    node(model, 'p2-worker-2')['vars']['carbon_member_port'] = 70000
    node(model, 'p2-lb')['vars']['carbon_manager_mode'] = 'hot'
    for entry in model:
        entry['vars']['carbon_admin_password'] = 'CHANGE_ME'
    problems, _warnings = check_cluster(model)
    message = failure_message(problems)

    assert [(problem['host'], problem['variable']) for problem in problems] == [
        ('p2-manager-2', 'carbon_sub_domain'),
        ('p2-worker-1', 'carbon_member_host'),
        ('p2-worker-2', 'carbon_member_port'),
        ('p2-lb', 'carbon_manager_mode'),
        ('p2-manager-1', 'carbon_admin_password'),
        ('p2-manager-2', 'carbon_admin_password'),
        ('p2-worker-1', 'carbon_admin_password'),
        ('p2-worker-2', 'carbon_admin_password'),
    ]
    assert message.splitlines()[0] == 'The inventory has 8 problem(s), so no host was changed.'
    assert len(message.splitlines()) == 9
    assert 'p2-worker-1: carbon_member_host="127.0.0.1": ' in message
    assert 'p2-manager-1: carbon_admin_password="********": The secret is still a placeholder value. Fix: ' in message


def test_secrets_never_in_output():
    model = make_model(3)
    for entry in model:
        entry['vars']['carbon_cluster_pattern'] = 'three'
        entry['vars']['carbon_member_host'] = '127.0.0.1'
    node(model, 'p3-db')['vars']['carbon_db_password'] = 'CHANGE_ME'
    problems, warnings = check_cluster(model)
    output = json.dumps(problems) + json.dumps(warnings) + failure_message(problems)

    assert problems
    assert DB_PASSWORD not in output
    assert ADMIN_PASSWORD not in output
    assert 'CHANGE_ME' not in output


@pytest.mark.parametrize('nodes, host, variable', [
    ([], 'inventory', 'nodes'),
    ([{'groups': ['carbon_workers']}], 'nodes[0]', 'host'),
])
def test_malformed_model(nodes, host, variable):
    problems, _warnings = check_cluster(nodes)

    assert problem_for(problems, host, variable)['fix']


def test_duplicate_host_entry():
    model = make_model(1)
    model.append(copy.deepcopy(node(model, 'p1-lb')))
    problems, _warnings = check_cluster(model)

    assert problem_for(problems, 'p1-lb', 'host')['message'] == 'The host appears more than once in the model.'


def test_null_value_counts_as_undefined():
    model = make_model(1)
    node(model, 'p1-worker-1')['vars']['carbon_member_host'] = None
    node(model, 'p1-worker-1')['vars']['carbon_active_manager'] = None

    assert check_cluster(model) == ([], [])
