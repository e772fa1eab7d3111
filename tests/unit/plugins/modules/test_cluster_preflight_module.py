# -*- coding: utf-8 -*-
# Copyright: Contributors to the wso2_carbon.clustering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.wso2_carbon.clustering.plugins.modules import cluster_preflight

DB_PASSWORD = 'module-db-Secret-1'
ADMIN_PASSWORD = 'module-admin-Secret-2'


def make_nodes():
    """Return a valid pattern 1 model with the two secrets set on every host."""
    shared = {
        'carbon_cluster_pattern': 1,
        'carbon_product': 'wso2as',
        'carbon_product_version': '5.3.0',
        'carbon_cluster_domain': 'wso2.as.domain',
        'carbon_worker_hostname': 'as.wso2.test',
        'carbon_manager_hostname': 'mgt.as.wso2.test',
        'carbon_db_password': DB_PASSWORD,
        'carbon_admin_password': ADMIN_PASSWORD,
    }
    hosts = [
        ('p1-lb', 'carbon_load_balancers', {}),
        ('p1-manager', 'carbon_managers', {'carbon_sub_domain': 'mgt', 'carbon_member_host': '172.28.1.21'}),
        ('p1-worker-1', 'carbon_workers', {'carbon_sub_domain': 'worker', 'carbon_member_host': '172.28.1.31'}),
        ('p1-worker-2', 'carbon_workers', {'carbon_sub_domain': 'worker', 'carbon_member_host': '172.28.1.32'}),
        ('p1-db', 'carbon_databases', {}),
    ]
    return [{'host': host, 'groups': [group], 'vars': dict(shared, **extra)} for host, group, extra in hosts]


def run_module(capsys, nodes, check_mode=False):
    with patch_module_args({'nodes': nodes, '_ansible_check_mode': check_mode}):
        with pytest.raises(SystemExit):
            cluster_preflight.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('check_mode', [False, True])
def test_module_valid_model(capsys, check_mode):
    result = run_module(capsys, make_nodes(), check_mode=check_mode)

    assert result.get('failed') is not True
    assert result['changed'] is False
    assert result['problems'] == []


def test_module_fails_listing_problems(capsys):
    nodes = make_nodes()
    nodes[2]['vars']['carbon_sub_domain'] = 'mgt'
    nodes[3]['vars']['carbon_member_port'] = 'x'
    result = run_module(capsys, nodes)
    lines = result['msg'].splitlines()

    assert result['failed'] is True
    assert result['changed'] is False
    assert lines[0] == 'The inventory has 2 problem(s), so no host was changed.'
    assert lines[1].startswith('p1-worker-1: carbon_sub_domain="mgt": ')
    assert lines[2].startswith('p1-worker-2: carbon_member_port="x": ')
    assert len(result['problems']) == 2


def test_module_secrets_hidden(capsys):
    nodes = make_nodes()
    nodes[1]['vars']['carbon_sub_domain'] = 'worker'
    result = run_module(capsys, nodes)
    output = json.dumps(result)

    assert result['failed'] is True
    assert 'invocation' in result
    assert DB_PASSWORD not in output
    assert ADMIN_PASSWORD not in output


def test_module_database_warning(capsys):
    nodes = make_nodes()
    nodes.append({'host': 'p1-db-2', 'groups': ['carbon_databases'], 'vars': dict(nodes[-1]['vars'])})
    result = run_module(capsys, nodes)

    assert result.get('failed') is not True
    assert len(result['warnings_found']) == 1
    assert 'p1-db-2' in json.dumps(result['warnings'])


def test_module_rejects_unknown_variable(capsys):
    nodes = make_nodes()
    nodes[0]['vars']['carbon_unknown'] = 1
    result = run_module(capsys, nodes)

    assert result['failed'] is True
    assert 'carbon_unknown' in result['msg']
