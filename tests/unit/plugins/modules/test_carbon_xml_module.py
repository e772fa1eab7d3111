# -*- coding: utf-8 -*-
# Copyright: Contributors to the wso2_carbon.clustering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat

import pytest

pytest.importorskip('lxml.etree')

from ansible.module_utils.testing import patch_module_args  # noqa: E402

from ansible_collections.wso2_carbon.clustering.plugins.modules import carbon_xml  # noqa: E402

CARBON_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Test copy of a Carbon server configuration -->
<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">
    <HostName>localhost</HostName>
    <DeploymentSynchronizer>
        <SvnPassword>shipped-password</SvnPassword>
    </DeploymentSynchronizer>
</Server>
"""

NAMESPACES = {'c': 'http://wso2.org/projects/carbon/carbon.xml'}
HOSTNAME_EDIT = {'xpath': '/c:Server/c:HostName', 'value': 'as.wso2.test'}


@pytest.fixture
def carbon_file(tmp_path):
    path = tmp_path / 'carbon.xml'
    path.write_bytes(CARBON_XML)
    os.chmod(str(path), 0o644)
    # An old mtime makes a rewrite visible even on file systems with coarse timestamps.
    os.utime(str(path), (1000000000, 1000000000))
    return path


def run_module(capsys, args, check_mode=False, diff=False):
    """Run the module's main() with args and return its JSON result."""
    args = dict(args)
    args['_ansible_check_mode'] = check_mode
    args['_ansible_diff'] = diff
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            carbon_xml.main()
    return json.loads(capsys.readouterr().out)


def module_args(path, *edits, **extra):
    args = dict(path=str(path), namespaces=NAMESPACES, edits=list(edits))
    args.update(extra)
    return args


def test_module_sets_value(capsys, carbon_file):
    result = run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT))

    assert result['changed'] is True
    assert b'<HostName>as.wso2.test</HostName>' in carbon_file.read_bytes()
    assert result['changes'][0]['old'] == 'localhost'


def test_module_second_run_leaves_file_untouched(capsys, carbon_file):
    run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT))
    os.utime(str(carbon_file), (1000000000, 1000000000))
    content = carbon_file.read_bytes()
    inode = carbon_file.stat().st_ino

    result = run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT))

    assert result['changed'] is False
    assert result['changes'] == []
    assert carbon_file.read_bytes() == content
    assert carbon_file.stat().st_mtime == 1000000000
    assert carbon_file.stat().st_ino == inode


def test_module_check_mode_writes_nothing(capsys, carbon_file):
    result = run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, backup=True), check_mode=True, diff=True)

    assert result['changed'] is True
    assert '<HostName>localhost</HostName>' in result['diff']['before']
    assert '<HostName>as.wso2.test</HostName>' in result['diff']['after']
    assert result['diff']['before_header'] == str(carbon_file)
    assert carbon_file.read_bytes() == CARBON_XML
    assert not os.path.exists(str(carbon_file) + '.orig')
    assert result['backup_file'] == str(carbon_file) + '.orig'


def test_module_backup_written_once(capsys, carbon_file):
    first = run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, backup=True))
    second = run_module(capsys, module_args(carbon_file, dict(HOSTNAME_EDIT, value='other.wso2.test'), backup=True))
    backup = carbon_file.parent / 'carbon.xml.orig'

    assert first['backup_file'] == str(backup)
    assert second['backup_file'] == str(backup)
    assert second['changed'] is True
    assert backup.read_bytes() == CARBON_XML
    assert b'other.wso2.test' in carbon_file.read_bytes()


def file_mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_module_backup_takes_requested_mode(capsys, carbon_file):
    result = run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, backup=True, mode='0640'))
    backup = carbon_file.parent / 'carbon.xml.orig'

    assert result['changed'] is True
    assert file_mode(carbon_file) == 0o640
    assert file_mode(backup) == 0o640
    assert backup.read_bytes() == CARBON_XML


def test_module_backup_takes_symbolic_mode(capsys, carbon_file):
    run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, backup=True, mode='g-r,o-r'))

    assert file_mode(carbon_file) == 0o600
    assert file_mode(carbon_file.parent / 'carbon.xml.orig') == 0o600


def test_module_backup_keeps_file_mode(capsys, carbon_file):
    os.chmod(str(carbon_file), 0o640)

    run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, backup=True))

    assert file_mode(carbon_file.parent / 'carbon.xml.orig') == 0o640


@pytest.mark.skipif(os.geteuid() != 0, reason='changing the owner of a file needs root')
def test_module_backup_takes_requested_owner(capsys, carbon_file):
    run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, backup=True, owner='65534', group='65534'))
    backup_stat = os.stat(str(carbon_file) + '.orig')

    assert carbon_file.stat().st_uid == 65534
    assert backup_stat.st_uid == 65534
    assert backup_stat.st_gid == 65534


def test_module_existing_backup_tightened(capsys, carbon_file):
    run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, backup=True))
    backup = carbon_file.parent / 'carbon.xml.orig'
    os.chmod(str(carbon_file), 0o640)
    assert file_mode(backup) == 0o644

    checked = run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, backup=True, mode='0640'), check_mode=True)
    assert checked['changed'] is True
    assert file_mode(backup) == 0o644

    result = run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, backup=True, mode='0640'))
    again = run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, backup=True, mode='0640'))

    assert result['changed'] is True
    assert file_mode(backup) == 0o640
    assert backup.read_bytes() == CARBON_XML
    assert again['changed'] is False


def test_module_existing_backup_not_loosened(capsys, carbon_file):
    run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, backup=True))
    backup = carbon_file.parent / 'carbon.xml.orig'
    os.chmod(str(backup), 0o600)

    result = run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, backup=True, mode='0644'))

    assert result['changed'] is False
    assert file_mode(backup) == 0o600


def test_module_no_backup_without_change(capsys, carbon_file):
    result = run_module(capsys, module_args(carbon_file, dict(HOSTNAME_EDIT, value='localhost'), backup=True))

    assert result['changed'] is False
    assert 'backup_file' not in result
    assert not os.path.exists(str(carbon_file) + '.orig')


def test_module_secret_never_in_result(capsys, carbon_file):
    edit = {'xpath': '/c:Server/c:DeploymentSynchronizer/c:SvnPassword', 'value': 'new-password', 'secret': True}
    result = run_module(capsys, module_args(carbon_file, edit), diff=True)
    output = json.dumps(result)

    assert result['changed'] is True
    assert 'new-password' not in output
    assert 'shipped-password' not in output
    assert result['changes'][0]['new'] == '********'
    assert b'<SvnPassword>new-password</SvnPassword>' in carbon_file.read_bytes()


def test_module_secret_hidden_without_change(capsys, carbon_file):
    edit = {'xpath': '/c:Server/c:DeploymentSynchronizer/c:SvnPassword', 'value': 'shipped-password',
            'secret': True}
    result = run_module(capsys, module_args(carbon_file, edit), diff=True)

    assert result['changed'] is False
    assert 'shipped-password' not in json.dumps(result)


def test_module_mode_change_reported(capsys, carbon_file):
    run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT))
    result = run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, mode='0640'))

    assert result['changed'] is True
    assert stat.S_IMODE(carbon_file.stat().st_mode) == 0o640


def test_module_missing_file_fails(capsys, tmp_path):
    missing = tmp_path / 'missing.xml'
    result = run_module(capsys, module_args(missing, HOSTNAME_EDIT))

    assert result['failed'] is True
    assert '%s does not exist' % missing in result['msg']


def test_module_invalid_edit_fails_before_writing(capsys, carbon_file):
    invalid_edit = {'xpath': '/c:Server/c:Missing/c:Child', 'value': 'x'}
    result = run_module(capsys, module_args(carbon_file, HOSTNAME_EDIT, invalid_edit))

    assert result['failed'] is True
    assert '/c:Server/c:Missing/c:Child' in result['msg']
    assert carbon_file.read_bytes() == CARBON_XML
