# -*- coding: utf-8 -*-
# Copyright: Contributors to the wso2_carbon.clustering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import zipfile

import pytest

from ansible_collections.wso2_carbon.clustering.plugins.module_utils import separation_support as support


# WSO2's two tables, typed in again from the page rather than read from the module's data, so a wrong
# row in the data fails these tests. Each entry: key -> (display name, level, known versions).
STANDARD = 'standard'
ADDITIONAL = 'additional_configuration'
NOT_SUPPORTED = 'not_supported'

EXPECTED_TABLE = {
    'wso2am': ('API Manager', ADDITIONAL, ['1.5.0', '1.6.0', '1.7.0', '1.8.0', '1.9.0', '1.9.1', '1.10.0', '2.0.0']),
    'wso2as': ('Application Server', STANDARD, ['5.2.0', '5.2.1', '5.3.0']),
    'wso2bps': ('Business Process Server', ADDITIONAL, ['3.1.0', '3.2.0', '3.5.0', '3.5.1', '3.6.0']),
    'wso2brs': ('Business Rules Server', STANDARD, ['2.1.0']),
    'wso2dss': ('Data Services Server', STANDARD, ['3.1.0', '3.1.1', '3.2.0', '3.2.1', '3.2.2', '3.5.0', '3.5.1']),
    'wso2esb': ('Enterprise Service Bus', ADDITIONAL, ['4.8.0', '4.8.1', '4.9.0', '5.0.0']),
    'wso2ts': ('Task Server', ADDITIONAL, ['1.1.0']),
    'wso2bam': ('Business Activity Monitor', NOT_SUPPORTED, ['2.4.0', '2.4.1', '2.5.0']),
    'wso2cep': ('Complex Event Processor', NOT_SUPPORTED, ['3.0.0', '3.1.0', '4.0.0', '4.1.0', '4.2.0']),
    'wso2das': ('Data Analytics Server', NOT_SUPPORTED, ['3.0.0', '3.0.1', '3.1.0']),
    'wso2es': ('Enterprise Store', NOT_SUPPORTED, ['2.0.0', '2.1.0']),
    'wso2greg': ('Governance Registry', NOT_SUPPORTED, ['4.6.0', '5.0.0', '5.0.1', '5.1.0', '5.2.0', '5.3.0']),
    'wso2is': ('Identity Server', NOT_SUPPORTED, ['4.5.0', '4.6.0', '5.0.0', '5.1.0', '5.2.0']),
    'wso2mb': ('Message Broker', NOT_SUPPORTED, ['2.2.0', '3.0.0']),
}

# A word from WSO2's reason that each unsupported row's notes must carry.
EXPECTED_REASON_WORDS = {
    'wso2bam': 'Analyzer',
    'wso2cep': 'standard worker/manager cluster',
    'wso2das': 'standard worker/manager cluster',
    'wso2es': 'does not support',
    'wso2greg': 'no concept',
    'wso2is': 'not possible',
    'wso2mb': 'standard worker/manager cluster',
}

TABLE_CASES = [
    (key, version, level)
    for key, (dummy, level, versions) in sorted(EXPECTED_TABLE.items())
    for version in versions
]


@pytest.mark.parametrize('key, version, level', TABLE_CASES)
def test_table_version_verdict(key, version, level):
    verdict = support.evaluate_support(key, version)

    assert verdict['level'] == level
    assert verdict['supported'] is (level in (STANDARD, ADDITIONAL))
    assert verdict['product'] == key
    assert verdict['display_name'] == EXPECTED_TABLE[key][0]
    assert verdict['version'] == version
    assert verdict['known_versions'] == EXPECTED_TABLE[key][2]
    assert verdict['notes']
    if level == NOT_SUPPORTED:
        assert EXPECTED_REASON_WORDS[key] in verdict['notes']
        assert verdict['notes'] in verdict['message']
        assert '%s %s' % (key, version) in verdict['message']
    else:
        assert verdict['message'] is None


def test_data_covers_both_tables():
    assert sorted(support.PRODUCTS_BY_KEY) == sorted(EXPECTED_TABLE)
    assert len(support.PRODUCTS) == len(EXPECTED_TABLE)


@pytest.mark.parametrize('key', sorted(EXPECTED_TABLE))
def test_known_versions_in_order(key):
    assert support.known_versions(support.PRODUCTS_BY_KEY[key]) == EXPECTED_TABLE[key][2]


@pytest.mark.parametrize('name, key', [
    ('wso2as', 'wso2as'),
    ('WSO2AS', 'wso2as'),
    ('Application Server', 'wso2as'),
    ('application server', 'wso2as'),
    ('WSO2 Application Server', 'wso2as'),
    ('  wso2   APPLICATION   server  ', 'wso2as'),
    ('as', 'wso2as'),
    ('AS', 'wso2as'),
    ('WSO2 AS', 'wso2as'),
    ('esb', 'wso2esb'),
    ('wso2-esb', 'wso2esb'),
    ('Enterprise Service Bus', 'wso2esb'),
    ('apim', 'wso2am'),
    ('am', 'wso2am'),
    ('API Manager', 'wso2am'),
    ('wso2am', 'wso2am'),
    ('bps', 'wso2bps'),
    ('brs', 'wso2brs'),
    ('dss', 'wso2dss'),
    ('ts', 'wso2ts'),
    ('Task Server', 'wso2ts'),
    ('bam', 'wso2bam'),
    ('cep', 'wso2cep'),
    ('das', 'wso2das'),
    ('es', 'wso2es'),
    ('greg', 'wso2greg'),
    ('G-Reg', 'wso2greg'),
    ('is', 'wso2is'),
    ('Identity Server', 'wso2is'),
    ('mb', 'wso2mb'),
    ('wso2mb', 'wso2mb'),
    ('Message Broker', 'wso2mb'),
])
def test_product_alias_resolves(name, key):
    assert support.find_product(name).key == key
    assert support.evaluate_support(name, EXPECTED_TABLE[key][2][0])['product'] == key


@pytest.mark.parametrize('name', ['', 'wso2', 'tomcat', 'Application', 'wso2 foo', 'esbx', None])
def test_unknown_name_not_resolved(name):
    assert support.find_product(name) is None


def test_unknown_product_lists_known():
    verdict = support.evaluate_support('wso2foo', '1.0.0')

    assert verdict['supported'] is False
    assert verdict['level'] == 'unknown'
    assert verdict['product'] == 'wso2foo'
    assert verdict['display_name'] is None
    assert verdict['known_versions'] == []
    assert "'wso2foo'" in verdict['message']
    for key, (display_name, dummy, dummy_versions) in EXPECTED_TABLE.items():
        assert '%s (%s)' % (key, display_name) in verdict['message']


def test_unknown_version_lists_known():
    verdict = support.evaluate_support('wso2as', '5.4.0')

    assert verdict['supported'] is False
    assert verdict['level'] == 'unknown'
    assert verdict['product'] == 'wso2as'
    assert verdict['display_name'] == 'Application Server'
    assert verdict['known_versions'] == ['5.2.0', '5.2.1', '5.3.0']
    assert "'5.4.0'" in verdict['message']
    assert '5.2.0, 5.2.1, 5.3.0' in verdict['message']


@pytest.mark.parametrize('given', ['v5.3.0', ' 5.3.0 ', 'V5.3.0'])
def test_version_prefix_and_spaces(given):
    verdict = support.evaluate_support('wso2as', given)

    assert verdict['version'] == '5.3.0'
    assert verdict['supported'] is True


def test_greg_501_released_but_unlisted():
    greg = support.PRODUCTS_BY_KEY['wso2greg']
    verdict = support.evaluate_support('Governance Registry', '5.0.1')

    assert '5.0.1' not in greg.versions
    assert '5.0.1' in greg.released_versions
    assert '5.0.1' in greg.decision
    assert verdict['level'] == 'not_supported'
    assert verdict['supported'] is False
    assert 'no concept' in verdict['message']


@pytest.mark.parametrize('key, last_version, after_last', [
    ('wso2esb', '5.0.0', '5.1.0'),
    ('wso2is', '5.2.0', '5.3.0'),
])
def test_truncated_row_uses_versions_column(key, last_version, after_last):
    product = support.PRODUCTS_BY_KEY[key]

    assert product.released_versions_truncated is True
    assert last_version in product.decision
    assert last_version not in product.released_versions
    assert support.evaluate_support(key, last_version)['level'] == EXPECTED_TABLE[key][1]
    assert support.evaluate_support(key, after_last)['level'] == 'unknown'


def test_complete_rows_not_truncated():
    truncated = sorted(product.key for product in support.PRODUCTS if product.released_versions_truncated)
    assert truncated == ['wso2esb', 'wso2is']
    decided = sorted(product.key for product in support.PRODUCTS if product.decision)
    assert decided == ['wso2esb', 'wso2greg', 'wso2is']


@pytest.mark.parametrize('text, expected', [
    ('WSO2 Application Server v5.3.0', ('wso2as', '5.3.0')),
    ('WSO2 Application Server v5.3.0\n', ('wso2as', '5.3.0')),
    ('\n  WSO2 Enterprise Service Bus 4.9.0  \nbuilt by someone\n', ('wso2esb', '4.9.0')),
    ('API Manager version 1.10.0', ('wso2am', '1.10.0')),
    ('wso2dss-3.5.1', ('wso2dss', '3.5.1')),
    ('Version: 5.3.0', (None, '5.3.0')),
    ('WSO2 Carbon Framework v4.4.0', (None, None)),
    ('WSO2 Application Server', (None, None)),
    ('', (None, None)),
    (None, (None, None)),
])
def test_parse_version_txt(text, expected):
    assert support.parse_version_txt(text) == expected


@pytest.mark.parametrize('name, expected', [
    ('wso2as-5.3.0', ('wso2as', '5.3.0')),
    ('WSO2ESB-4.9.0', ('wso2esb', '4.9.0')),
    ('wso2foo-1.0.0', ('wso2foo', '1.0.0')),
    ('wso2as-5.3.0-SNAPSHOT', ('wso2as', '5.3.0-SNAPSHOT')),
    ('carbon', (None, None)),
    ('tomcat-8.0.1', (None, None)),
    ('wso2as', (None, None)),
])
def test_parse_folder_name(name, expected):
    assert support.parse_folder_name(name) == expected


# Packs and product homes built on disk for the evidence tests.

def build_zip(directory, top='wso2as-5.3.0', version_txt='WSO2 Application Server v5.3.0', worker='dir',
              extra=(), name=None):
    """Write a zip shaped like a WSO2 pack. ``worker`` is 'dir' (directory entry), 'file' or None."""
    path = os.path.join(str(directory), name or '%s.zip' % top)
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('%s/' % top, '')
        archive.writestr('%s/repository/conf/carbon.xml' % top, '<Server/>')
        if version_txt is not None:
            archive.writestr('%s/bin/version.txt' % top, version_txt)
        if worker == 'dir':
            archive.writestr('%s/repository/components/worker/' % top, '')
        elif worker == 'file':
            archive.writestr('%s/repository/components/worker/bundles.info' % top, 'bundle\n')
        for member, content in extra:
            archive.writestr(member, content)
    return path


def build_home(directory, name='wso2as-5.3.0', version_txt='WSO2 Application Server v5.3.0', worker=True):
    home = os.path.join(str(directory), name)
    os.makedirs(os.path.join(home, 'bin'))
    os.makedirs(os.path.join(home, 'repository', 'components', 'default'))
    if worker:
        os.makedirs(os.path.join(home, 'repository', 'components', 'worker'))
    if version_txt is not None:
        with open(os.path.join(home, 'bin', 'version.txt'), 'w') as handle:
            handle.write(version_txt + '\n')
    return home


def list_tree(directory):
    found = []
    for root, dirs, files in os.walk(str(directory)):
        found.extend(os.path.relpath(os.path.join(root, entry), str(directory)) for entry in dirs + files)
    return sorted(found)


@pytest.mark.parametrize('worker', ['dir', 'file'])
def test_good_pack_passes(tmp_path, worker):
    pack = build_zip(tmp_path, worker=worker)

    result, error = support.evaluate('as', '5.3.0', pack=pack)

    assert error is None
    assert result['supported'] is True
    evidence = result['evidence']
    assert evidence['source'] == pack
    assert evidence['folder'] == 'wso2as-5.3.0'
    assert evidence['product'] == 'wso2as'
    assert evidence['version'] == '5.3.0'
    assert evidence['version_txt'] == 'WSO2 Application Server v5.3.0'
    assert evidence['version_txt_product'] == 'wso2as'
    assert evidence['version_txt_version'] == '5.3.0'
    assert evidence['worker_profile'] is True


def test_pack_not_extracted(tmp_path, monkeypatch):
    pack_dir = tmp_path / 'packs'
    pack_dir.mkdir()
    pack = build_zip(pack_dir)
    # An empty working directory of its own, so files written there would show up.
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    monkeypatch.chdir(work_dir)

    result, error = support.evaluate('wso2as', '5.3.0', pack=pack)

    assert error is None
    assert result['evidence']['worker_profile'] is True
    assert list_tree(str(pack_dir)) == ['wso2as-5.3.0.zip']
    assert list_tree(str(work_dir)) == []


def test_pack_missing_worker_profile(tmp_path):
    pack = build_zip(tmp_path, worker=None)

    result, error = support.evaluate('wso2as', '5.3.0', pack=pack)

    assert result['evidence']['worker_profile'] is False
    assert 'no worker profile' in error
    assert 'repository/components/worker' in error
    assert pack in error


def test_missing_worker_profile_fails_despite_flag(tmp_path):
    pack = build_zip(tmp_path, worker=None)

    dummy, error = support.evaluate('wso2as', '5.3.0', pack=pack, fail_on_unsupported=False)

    assert 'no worker profile' in error


def test_unsupported_pack_without_worker_profile(tmp_path):
    pack = build_zip(tmp_path, top='wso2is-5.2.0', version_txt='WSO2 Identity Server v5.2.0', worker=None)

    result, error = support.evaluate('wso2is', '5.2.0', pack=pack, fail_on_unsupported=False)

    assert error is None
    assert result['level'] == 'not_supported'
    assert result['evidence']['worker_profile'] is False


def test_pack_version_mismatch(tmp_path):
    pack = build_zip(tmp_path, top='wso2as-5.2.0', version_txt='WSO2 Application Server v5.2.0')

    result, error = support.evaluate('wso2as', '5.3.0', pack=pack)

    assert result['evidence']['version'] == '5.2.0'
    assert 'version mismatch' in error
    assert 'expected 5.3.0, found 5.2.0' in error
    assert "folder name 'wso2as-5.2.0'" in error
    assert 'bin/version.txt' in error


def test_pack_product_mismatch(tmp_path):
    pack = build_zip(tmp_path, top='wso2esb-5.3.0', version_txt='WSO2 Enterprise Service Bus v5.3.0')

    result, error = support.evaluate('wso2as', '5.3.0', pack=pack)

    assert result['evidence']['product'] == 'wso2esb'
    assert 'product mismatch' in error
    assert 'expected wso2as, found wso2esb' in error
    assert 'version mismatch' not in error


def test_version_txt_mismatch_only(tmp_path):
    pack = build_zip(tmp_path, version_txt='WSO2 Application Server v5.2.1')

    dummy, error = support.evaluate('wso2as', '5.3.0', pack=pack)

    assert "version mismatch" in error
    assert "'WSO2 Application Server v5.2.1'" in error
    assert 'folder name' not in error


def test_mismatch_fails_despite_flag(tmp_path):
    pack = build_zip(tmp_path, top='wso2as-5.2.0', version_txt=None)

    dummy, error = support.evaluate('wso2as', '5.3.0', pack=pack, fail_on_unsupported=False)

    assert 'expected 5.3.0, found 5.2.0' in error


def test_unsupported_mismatch_verdict_first(tmp_path):
    pack = build_zip(tmp_path, top='wso2is-5.1.0', version_txt='WSO2 Identity Server v5.1.0', worker=None)

    result, error = support.evaluate('wso2is', '5.2.0', pack=pack)

    assert result['level'] == 'not_supported'
    assert error.startswith('wso2is 5.2.0 (Identity Server) does not support worker/manager separation. WSO2: ')
    assert 'Worker/manager separation is not possible in Identity Server' in error
    assert 'expected 5.2.0, found 5.1.0' in error
    assert error.index('does not support') < error.index('version mismatch')


def test_unsupported_mismatch_verdict_despite_flag(tmp_path):
    pack = build_zip(tmp_path, top='wso2is-5.1.0', version_txt=None, worker=None)

    dummy, error = support.evaluate('wso2is', '5.2.0', pack=pack, fail_on_unsupported=False)

    assert error.startswith('wso2is 5.2.0 (Identity Server) does not support')
    assert 'expected 5.2.0, found 5.1.0' in error


def test_unsupported_unreadable_pack_verdict_first(tmp_path):
    missing = os.path.join(str(tmp_path), 'wso2is-5.2.0.zip')

    dummy, error = support.evaluate('wso2is', '5.2.0', pack=missing)

    assert error.startswith('wso2is 5.2.0 (Identity Server) does not support')
    assert 'pack %s does not exist' % missing in error


def test_pack_without_version_txt(tmp_path):
    pack = build_zip(tmp_path, version_txt=None)

    result, error = support.evaluate('wso2as', '5.3.0', pack=pack)

    assert error is None
    assert result['evidence']['version_txt'] is None
    assert result['evidence']['version'] == '5.3.0'


def test_zip_without_top_folder(tmp_path):
    path = os.path.join(str(tmp_path), 'flat.zip')
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('bin/version.txt', 'WSO2 Application Server v5.3.0')
        archive.writestr('repository/components/worker/', '')

    result, error = support.evaluate('wso2as', '5.3.0', pack=path)

    assert 'no single top folder' in error
    assert 'bin, repository' in error
    assert result['evidence'] is None


def test_zip_with_file_at_top_level(tmp_path):
    pack = build_zip(tmp_path, extra=[('README.txt', 'readme')])

    dummy, error = support.evaluate('wso2as', '5.3.0', pack=pack)

    assert 'no single top folder' in error
    assert "'README.txt'" in error


def test_empty_zip(tmp_path):
    path = os.path.join(str(tmp_path), 'empty.zip')
    zipfile.ZipFile(path, 'w').close()

    dummy, error = support.evaluate('wso2as', '5.3.0', pack=path)

    assert 'no single top folder' in error
    assert 'no files' in error


def test_unreadable_zip(tmp_path):
    path = os.path.join(str(tmp_path), 'wso2as-5.3.0.zip')
    with open(path, 'wb') as handle:
        handle.write(b'PK\x03\x04 this is a truncated download')

    result, error = support.evaluate('wso2as', '5.3.0', pack=path)

    assert 'not a readable zip file' in error
    assert path in error
    assert result['evidence'] is None


def test_missing_pack(tmp_path):
    path = os.path.join(str(tmp_path), 'absent.zip')

    dummy, error = support.evaluate('wso2as', '5.3.0', pack=path)

    assert error.startswith('pack %s does not exist' % path)


def test_pack_is_directory(tmp_path):
    dummy, error = support.evaluate('wso2as', '5.3.0', pack=str(tmp_path))

    assert 'is a directory' in error
    assert 'carbon_home' in error


def test_good_carbon_home(tmp_path):
    home = build_home(tmp_path)

    result, error = support.evaluate('Application Server', '5.3.0', carbon_home=home)

    assert error is None
    assert result['evidence']['source'] == home
    assert result['evidence']['folder'] == 'wso2as-5.3.0'
    assert result['evidence']['worker_profile'] is True
    assert result['evidence']['version_txt'] == 'WSO2 Application Server v5.3.0'


def test_carbon_home_missing_worker_profile(tmp_path):
    home = build_home(tmp_path, worker=False)

    result, error = support.evaluate('wso2as', '5.3.0', carbon_home=home)

    assert result['evidence']['worker_profile'] is False
    assert 'no worker profile' in error


def test_carbon_home_version_mismatch(tmp_path):
    home = build_home(tmp_path, name='wso2as-5.2.1', version_txt='WSO2 Application Server v5.2.1')

    dummy, error = support.evaluate('wso2as', '5.3.0', carbon_home=home)

    assert 'expected 5.3.0, found 5.2.1' in error


def test_carbon_home_product_mismatch(tmp_path):
    home = build_home(tmp_path, name='wso2esb-4.9.0', version_txt='WSO2 Enterprise Service Bus v4.9.0')

    dummy, error = support.evaluate('wso2as', '5.3.0', carbon_home=home)

    assert 'expected wso2as, found wso2esb' in error
    assert 'expected 5.3.0, found 4.9.0' in error


def test_carbon_home_symlink_target_name(tmp_path):
    home = build_home(tmp_path, version_txt=None)
    link = os.path.join(str(tmp_path), 'current')
    os.symlink(home, link)

    result, error = support.evaluate('wso2as', '5.3.0', carbon_home=link)

    assert error is None
    assert result['evidence']['folder'] == 'wso2as-5.3.0'


def test_carbon_home_plain_name_uses_version_txt(tmp_path):
    home = build_home(tmp_path, name='carbon')

    result, error = support.evaluate('wso2as', '5.3.0', carbon_home=home)

    assert error is None
    assert result['evidence']['folder_product'] is None
    assert result['evidence']['product'] == 'wso2as'
    assert result['evidence']['version'] == '5.3.0'


def test_carbon_home_without_any_evidence(tmp_path):
    home = build_home(tmp_path, name='carbon', version_txt=None)

    dummy, error = support.evaluate('wso2as', '5.3.0', carbon_home=home)

    assert 'names no product or version' in error
    assert 'missing' in error


def test_carbon_home_is_file(tmp_path):
    pack = build_zip(tmp_path)

    dummy, error = support.evaluate('wso2as', '5.3.0', carbon_home=pack)

    assert 'is not a directory' in error
    assert 'pack' in error


def test_missing_carbon_home(tmp_path):
    path = os.path.join(str(tmp_path), 'wso2as-5.3.0')

    dummy, error = support.evaluate('wso2as', '5.3.0', carbon_home=path)

    assert error.startswith('carbon_home %s does not exist' % path)


def test_supported_passes():
    result, error = support.evaluate('wso2as', '5.3.0')

    assert error is None
    assert result['supported'] is True
    assert result['evidence'] is None
    assert result['msg'] == 'wso2as 5.3.0 (Application Server) supports worker/manager separation (standard).'


def test_unsupported_fails_by_default():
    result, error = support.evaluate('wso2is', '5.2.0')

    assert result['level'] == 'not_supported'
    assert 'Worker/manager separation is not possible in Identity Server' in error


def test_unsupported_reported_when_not_failing():
    result, error = support.evaluate('wso2is', '5.2.0', fail_on_unsupported=False)

    assert error is None
    assert result['supported'] is False
    assert result['level'] == 'not_supported'
    assert result['msg'].startswith('wso2is 5.2.0 (Identity Server) does not support')


@pytest.mark.parametrize('product, version', [('wso2foo', '1.0.0'), ('wso2as', '9.9.9')])
def test_unknown_input_fails_by_default(product, version):
    result, error = support.evaluate(product, version)

    assert result['level'] == 'unknown'
    assert error.startswith('Unknown ')


@pytest.mark.parametrize('product, version', [('wso2foo', '1.0.0'), ('wso2as', '9.9.9')])
def test_unknown_input_reported_when_not_failing(product, version):
    result, error = support.evaluate(product, version, fail_on_unsupported=False)

    assert error is None
    assert result['supported'] is False
    assert result['level'] == 'unknown'
    assert result['msg'].startswith('Unknown ')
