# -*- coding: utf-8 -*-
# Copyright: Contributors to the wso2_carbon.clustering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import zipfile

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.wso2_carbon.clustering.plugins.modules import separation_support


def run_module(capsys, args):
    """Run the module's main() with ``args`` and return (exit code, parsed JSON output)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            separation_support.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_supported_product_exits(capsys):
    code, result = run_module(capsys, {'product': 'WSO2 Application Server', 'version': '5.3.0'})

    assert code == 0
    assert result['changed'] is False
    assert result['supported'] is True
    assert result['level'] == 'standard'
    assert result['product'] == 'wso2as'
    assert result['known_versions'] == ['5.2.0', '5.2.1', '5.3.0']
    assert result['evidence'] is None


def test_unsupported_product_fails(capsys):
    code, result = run_module(capsys, {'product': 'wso2is', 'version': '5.2.0'})

    assert code == 1
    assert result['failed'] is True
    assert result['changed'] is False
    assert result['level'] == 'not_supported'
    assert 'not possible in Identity Server' in result['msg']


def test_unsupported_reported_without_failing(capsys):
    code, result = run_module(capsys, {'product': 'is', 'version': '5.2.0', 'fail_on_unsupported': False})

    assert code == 0
    assert 'failed' not in result
    assert result['supported'] is False
    assert result['level'] == 'not_supported'


def test_check_mode_same_result(capsys):
    code, result = run_module(capsys, {'product': 'esb', 'version': '4.9.0', '_ansible_check_mode': True})

    assert code == 0
    assert result['changed'] is False
    assert result['level'] == 'additional_configuration'


def test_carbon_home_and_pack_exclusive(capsys, tmp_path):
    code, result = run_module(capsys, {
        'product': 'wso2as', 'version': '5.3.0',
        'carbon_home': str(tmp_path), 'pack': os.path.join(str(tmp_path), 'wso2as-5.3.0.zip'),
    })

    assert code == 1
    assert 'mutually exclusive' in result['msg']


def test_pack_evidence_returned(capsys, tmp_path):
    pack = os.path.join(str(tmp_path), 'wso2as-5.3.0.zip')
    with zipfile.ZipFile(pack, 'w') as archive:
        archive.writestr('wso2as-5.3.0/bin/version.txt', 'WSO2 Application Server v5.3.0\n')
        archive.writestr('wso2as-5.3.0/repository/components/worker/', '')

    code, result = run_module(capsys, {'product': 'wso2as', 'version': '5.3.0', 'pack': pack})

    assert code == 0
    assert result['evidence']['source'] == pack
    assert result['evidence']['product'] == 'wso2as'
    assert result['evidence']['version'] == '5.3.0'
    assert result['evidence']['worker_profile'] is True
    assert os.listdir(str(tmp_path)) == ['wso2as-5.3.0.zip']
