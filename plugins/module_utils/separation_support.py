# -*- coding: utf-8 -*-
# Copyright: Contributors to the wso2_carbon.clustering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Worker/manager separation support of WSO2 Carbon products, and pack evidence.

The product data reproduces both tables of WSO2's clustering guide page
"Separating the Worker and Manager Nodes" (CLUSTER44x): the products that
support worker/manager separation and the products that do not commonly use
it. The module ``wso2_carbon.clustering.separation_support`` is a thin wrapper
around ``evaluate``. Nothing here imports Ansible, so unit tests import it
directly.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import zipfile
from collections import namedtuple


LEVEL_STANDARD = 'standard'
LEVEL_ADDITIONAL = 'additional_configuration'
LEVEL_NOT_SUPPORTED = 'not_supported'
LEVEL_UNKNOWN = 'unknown'

SUPPORTED_LEVELS = (LEVEL_STANDARD, LEVEL_ADDITIONAL)

# One row of WSO2's tables.
#   versions: the page's "Versions" column.
#   released_versions: the page's "Released Versions" column, as far as the page shows it.
#   released_versions_truncated: the page cuts the "Released Versions" cell off mid-list.
#   decision: how this collection treats a version that only one column lists, or a cut-off cell.
Product = namedtuple('Product', [
    'key', 'display_name', 'short_names', 'level', 'notes',
    'versions', 'released_versions', 'released_versions_truncated', 'decision',
])

PRODUCTS = (
    # Table 1: worker/manager separation applies.
    Product(
        key='wso2am',
        display_name='API Manager',
        short_names=('am', 'apim', 'api-m'),
        level=LEVEL_ADDITIONAL,
        notes=('Needs configuration beyond the standard worker/manager cluster, above all when API Manager '
               'runs in distributed mode. The separation is usually applied to the Gateway, and can be '
               'applied to the Publisher and the Store as well.'),
        versions=('1.5.0', '1.6.0', '1.7.0', '1.8.0', '1.9.0', '1.9.1', '1.10.0', '2.0.0'),
        released_versions=('1.5.0', '1.6.0', '1.7.0', '1.8.0', '1.9.0', '1.9.1', '1.10.0', '2.0.0'),
        released_versions_truncated=False,
        decision=None,
    ),
    Product(
        key='wso2as',
        display_name='Application Server',
        short_names=('as', 'appserver'),
        level=LEVEL_STANDARD,
        notes='Standard worker/manager separation.',
        versions=('5.2.0', '5.2.1', '5.3.0'),
        released_versions=('5.2.0', '5.2.1', '5.3.0'),
        released_versions_truncated=False,
        decision=None,
    ),
    Product(
        key='wso2bps',
        display_name='Business Process Server',
        short_names=('bps',),
        level=LEVEL_ADDITIONAL,
        notes=('Clustering Business Process Server follows the worker/manager model but needs '
               'configuration beyond the standard worker/manager cluster.'),
        versions=('3.1.0', '3.2.0', '3.5.0', '3.5.1', '3.6.0'),
        released_versions=('3.1.0', '3.2.0', '3.5.0', '3.5.1', '3.6.0'),
        released_versions_truncated=False,
        decision=None,
    ),
    Product(
        key='wso2brs',
        display_name='Business Rules Server',
        short_names=('brs',),
        level=LEVEL_STANDARD,
        notes='Standard worker/manager separation.',
        versions=('2.1.0',),
        released_versions=('2.1.0',),
        released_versions_truncated=False,
        decision=None,
    ),
    Product(
        key='wso2dss',
        display_name='Data Services Server',
        short_names=('dss',),
        level=LEVEL_STANDARD,
        notes='Standard worker/manager separation.',
        versions=('3.1.0', '3.1.1', '3.2.0', '3.2.1', '3.2.2', '3.5.0', '3.5.1'),
        released_versions=('3.1.0', '3.1.1', '3.2.0', '3.2.1', '3.2.2', '3.5.0', '3.5.1'),
        released_versions_truncated=False,
        decision=None,
    ),
    Product(
        key='wso2esb',
        display_name='Enterprise Service Bus',
        short_names=('esb',),
        level=LEVEL_ADDITIONAL,
        notes='Standard worker/manager separation plus configuration specific to the Enterprise Service Bus.',
        versions=('4.8.0', '4.8.1', '4.9.0', '5.0.0'),
        released_versions=('4.8.0', '4.8.1', '4.9.0'),
        released_versions_truncated=True,
        decision=('The "Released Versions" cell ends after "4.9.0 and", so the "Versions" column, which '
                  'ends with 5.0.0, is the complete list. No version beyond 5.0.0 is assumed.'),
    ),
    Product(
        key='wso2ts',
        display_name='Task Server',
        short_names=('ts',),
        level=LEVEL_ADDITIONAL,
        notes='Standard worker/manager separation plus additional steps specific to the Task Server.',
        versions=('1.1.0',),
        released_versions=('1.1.0',),
        released_versions_truncated=False,
        decision=None,
    ),

    # Table 2: products that do not commonly use worker/manager separation.
    Product(
        key='wso2bam',
        display_name='Business Activity Monitor',
        short_names=('bam',),
        level=LEVEL_NOT_SUPPORTED,
        notes=('Business Activity Monitor has no concept of worker/manager separation, but its Analyzer '
               'nodes need clustering, which WSO2 describes in its BAM clustering guide.'),
        versions=('2.4.0', '2.4.1', '2.5.0'),
        released_versions=('2.4.0', '2.4.1', '2.5.0'),
        released_versions_truncated=False,
        decision=None,
    ),
    Product(
        key='wso2cep',
        display_name='Complex Event Processor',
        short_names=('cep',),
        level=LEVEL_NOT_SUPPORTED,
        notes='Complex Event Processor does not use a standard worker/manager cluster in a typical production deployment.',
        versions=('3.0.0', '3.1.0', '4.0.0', '4.1.0', '4.2.0'),
        released_versions=('3.0.0', '3.1.0', '4.0.0', '4.1.0', '4.2.0'),
        released_versions_truncated=False,
        decision=None,
    ),
    Product(
        key='wso2das',
        display_name='Data Analytics Server',
        short_names=('das',),
        level=LEVEL_NOT_SUPPORTED,
        notes='Data Analytics Server does not use a standard worker/manager cluster in a typical production deployment.',
        versions=('3.0.0', '3.0.1', '3.1.0'),
        released_versions=('3.0.0', '3.0.1', '3.1.0'),
        released_versions_truncated=False,
        decision=None,
    ),
    Product(
        key='wso2es',
        display_name='Enterprise Store',
        short_names=('es',),
        level=LEVEL_NOT_SUPPORTED,
        notes='Enterprise Store does not support worker/manager separation.',
        versions=('2.0.0', '2.1.0'),
        released_versions=('2.0.0', '2.1.0'),
        released_versions_truncated=False,
        decision=None,
    ),
    Product(
        key='wso2greg',
        display_name='Governance Registry',
        short_names=('greg', 'g-reg'),
        level=LEVEL_NOT_SUPPORTED,
        notes=('Governance Registry has no concept of worker/manager separation. WSO2 describes its '
               'clustering in a separate Governance Registry guide.'),
        versions=('4.6.0', '5.0.0', '5.1.0', '5.2.0', '5.3.0'),
        released_versions=('4.6.0', '5.0.0', '5.0.1', '5.1.0', '5.2.0', '5.3.0'),
        released_versions_truncated=False,
        decision=('5.0.1 appears under "Released Versions" but not under "Versions". It is a known '
                  'version with the verdict of its row (not supported): WSO2 gives the reason for the '
                  'product as a whole, so reporting 5.0.1 as unknown would hide that reason.'),
    ),
    Product(
        key='wso2is',
        display_name='Identity Server',
        short_names=('is', 'identity'),
        level=LEVEL_NOT_SUPPORTED,
        notes=('Worker/manager separation is not possible in Identity Server, and it is not a typical way '
               'to deploy Identity Server. WSO2 describes its clustering in a separate Identity Server guide.'),
        versions=('4.5.0', '4.6.0', '5.0.0', '5.1.0', '5.2.0'),
        released_versions=('4.5.0', '4.6.0', '5.0.0', '5.1.0'),
        released_versions_truncated=True,
        decision=('The "Released Versions" cell ends after "5.1.0 and", so the "Versions" column, which '
                  'ends with 5.2.0, is the complete list. No version beyond 5.2.0 is assumed.'),
    ),
    Product(
        key='wso2mb',
        display_name='Message Broker',
        short_names=('mb',),
        level=LEVEL_NOT_SUPPORTED,
        notes='Message Broker does not use a standard worker/manager cluster in a production deployment.',
        versions=('2.2.0', '3.0.0'),
        released_versions=('2.2.0', '3.0.0'),
        released_versions_truncated=False,
        decision=None,
    ),
)

PRODUCTS_BY_KEY = dict((product.key, product) for product in PRODUCTS)

# Pack layout facts of Carbon 4.x products.
VERSION_TXT = 'bin/version.txt'
WORKER_PROFILE = 'repository/components/worker'
# Bytes read from bin/version.txt: the file is one short line in WSO2 packs.
VERSION_TXT_MAX_BYTES = 4096

_VERSION = r'\d+(?:\.\d+)+(?:-[A-Za-z0-9.]+)?'
# A pack's top folder, such as wso2as-5.3.0.
_FOLDER_RE = re.compile(r'^(?P<key>wso2[a-z]+)-(?P<version>' + _VERSION + r')$', re.IGNORECASE)
# The first line of bin/version.txt: "WSO2 Application Server v5.3.0", "WSO2 Application Server 5.3.0",
# "Application Server version 5.3.0" or "Version: 5.3.0".
_VERSION_TXT_RE = re.compile(
    r'^(?P<name>.*?)\s*(?:\bversion\b\s*:?\s*|\bv)?(?P<version>' + _VERSION + r')\s*$', re.IGNORECASE)


class EvidenceError(Exception):
    """A pack or product home that cannot be read."""


def _normalize_name(name):
    return ' '.join(str(name).split()).lower()


def _build_aliases():
    aliases = {}
    for product in PRODUCTS:
        names = (product.key, product.key[len('wso2'):], product.display_name,
                 'wso2 ' + product.display_name) + product.short_names
        for name in names:
            aliases[_normalize_name(name)] = product
    return aliases


_ALIASES = _build_aliases()


def find_product(name):
    """Look up a product by distribution key, display name or short name, ignoring case.

    Returns the ``Product`` or None when the name is unknown.
    """
    if name is None:
        return None
    normalized = _normalize_name(name)
    if normalized in _ALIASES:
        return _ALIASES[normalized]
    # "WSO2 AS" and "wso2-esb" are short names with a vendor prefix.
    for prefix in ('wso2 ', 'wso2-', 'wso2_'):
        if normalized.startswith(prefix):
            return _ALIASES.get(normalized[len(prefix):].strip())
    return None


def normalize_version(version):
    """Strip spaces and a leading "v" from a version string, so "v5.3.0" matches "5.3.0"."""
    text = str(version).strip()
    if text[:1] in ('v', 'V') and text[1:2].isdigit():
        text = text[1:]
    return text


def _version_sort_key(version):
    return tuple(int(part) if part.isdigit() else 0 for part in re.split(r'[.-]', version))


def known_versions(product):
    """Return every version that either column of WSO2's table lists for the product, in version order."""
    return sorted(set(product.versions) | set(product.released_versions), key=_version_sort_key)


def describe_products():
    """Return "key (display name)" for every known product, for error messages."""
    return ', '.join('%s (%s)' % (product.key, product.display_name) for product in PRODUCTS)


def evaluate_support(product_name, version):
    """Look up WSO2's verdict for one product and version.

    Returns a dict with the module's return values plus ``message``, which is None when the
    product supports worker/manager separation and otherwise explains why not.
    """
    version_text = normalize_version(version)
    product = find_product(product_name)
    if product is None:
        return {
            'supported': False,
            'level': LEVEL_UNKNOWN,
            'product': str(product_name),
            'display_name': None,
            'version': version_text,
            'notes': None,
            'known_versions': [],
            'message': ('Unknown product %r: WSO2\'s worker/manager separation tables do not list it. '
                        'Set product to one of: %s. Short names such as "as", "esb" and "apim" '
                        'also work.' % (str(product_name), describe_products())),
        }

    versions = known_versions(product)
    verdict = {
        'supported': product.level in SUPPORTED_LEVELS,
        'level': product.level,
        'product': product.key,
        'display_name': product.display_name,
        'version': version_text,
        'notes': product.notes,
        'known_versions': versions,
        'message': None,
    }
    if version_text not in versions:
        verdict.update({
            'supported': False,
            'level': LEVEL_UNKNOWN,
            'message': ('Unknown version %r of %s (%s): WSO2\'s worker/manager separation table lists '
                        'only %s. Set version to one of those.'
                        % (version_text, product.key, product.display_name, ', '.join(versions))),
        })
    elif not verdict['supported']:
        verdict['message'] = ('%s %s (%s) does not support worker/manager separation. WSO2: %s'
                              % (product.key, version_text, product.display_name, product.notes))
    return verdict


def parse_folder_name(name):
    """Split a pack folder name such as ``wso2as-5.3.0`` into (product key, version).

    Returns (None, None) when the name does not have that form. The key is the one in
    the name, which may not be a known product.
    """
    match = _FOLDER_RE.match(name or '')
    if not match:
        return None, None
    key = match.group('key').lower()
    product = find_product(key)
    return (product.key if product else key), match.group('version')


def parse_version_txt(text):
    """Read (product key, version) from the content of ``bin/version.txt``.

    Returns (None, None) when the first line names something other than a known product,
    such as "WSO2 Carbon Framework v4.4.0", because its version is then not the product's.
    """
    lines = [line.strip() for line in (text or '').splitlines() if line.strip()]
    if not lines:
        return None, None
    first = lines[0]

    key, version = parse_folder_name(first)
    if version is not None:
        return key, version

    match = _VERSION_TXT_RE.match(first)
    if not match:
        return None, None
    name = match.group('name').strip(' :-')
    if not name:
        return None, match.group('version')
    product = find_product(name)
    if product is None:
        return None, None
    return product.key, match.group('version')


def _decode(data):
    return data.decode('utf-8', 'replace')


def _read_carbon_home(path):
    if not os.path.exists(path):
        raise EvidenceError('carbon_home %s does not exist. Set carbon_home to the unpacked product '
                            'directory, or use pack for a product zip.' % path)
    if not os.path.isdir(path):
        raise EvidenceError('carbon_home %s is not a directory. Use pack for a product zip, or set '
                            'carbon_home to the unpacked product directory.' % path)

    folder = os.path.basename(os.path.normpath(path))
    if parse_folder_name(folder)[1] is None:
        # A link such as /opt/wso2as pointing to /opt/wso2as-5.3.0 names the version in its target.
        resolved = os.path.basename(os.path.realpath(path))
        if parse_folder_name(resolved)[1] is not None:
            folder = resolved

    version_txt = None
    version_txt_path = os.path.join(path, VERSION_TXT)
    if os.path.isfile(version_txt_path):
        try:
            with open(version_txt_path, 'rb') as handle:
                version_txt = _decode(handle.read(VERSION_TXT_MAX_BYTES))
        except (IOError, OSError) as exc:
            raise EvidenceError('Failed to read %s: %s. Check its permissions.' % (version_txt_path, exc))

    worker_profile = os.path.isdir(os.path.join(path, WORKER_PROFILE))
    return folder, version_txt, worker_profile


def _find_top_folder(path, names):
    tops = set()
    for name in names:
        head, separator, dummy = name.partition('/')
        if not separator:
            raise EvidenceError('pack %s has no single top folder: %r sits at the top level of the zip. '
                                'A WSO2 pack keeps everything under <key>-<version>/, for example '
                                'wso2as-5.3.0/.' % (path, name))
        tops.add(head)
    if len(tops) != 1:
        raise EvidenceError('pack %s has no single top folder: it contains %s. A WSO2 pack keeps '
                            'everything under <key>-<version>/, for example wso2as-5.3.0/.'
                            % (path, ', '.join(sorted(tops)) or 'no files'))
    return tops.pop()


def _read_pack(path):
    if not os.path.exists(path):
        raise EvidenceError('pack %s does not exist. Set pack to a product zip on the target.' % path)
    if os.path.isdir(path):
        raise EvidenceError('pack %s is a directory. Use carbon_home for an unpacked product.' % path)

    # Only the member list and bin/version.txt are read: nothing is extracted.
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            folder = _find_top_folder(path, names)
            version_txt = None
            version_txt_name = '%s/%s' % (folder, VERSION_TXT)
            if version_txt_name in names:
                with archive.open(version_txt_name) as member:
                    version_txt = _decode(member.read(VERSION_TXT_MAX_BYTES))
    except zipfile.BadZipFile as exc:
        raise EvidenceError('pack %s is not a readable zip file (%s). Check that the download or copy '
                            'is complete.' % (path, exc))
    except (RuntimeError, NotImplementedError, zipfile.LargeZipFile) as exc:
        # Encrypted members, unsupported compression methods and ZIP64 archives without support.
        raise EvidenceError('Failed to read %s from pack %s: %s. Use an unencrypted, standard product '
                            'zip.' % (VERSION_TXT, path, exc))
    except (IOError, OSError) as exc:
        raise EvidenceError('Failed to read pack %s: %s. Check its permissions.' % (path, exc))

    worker_prefix = '%s/%s/' % (folder, WORKER_PROFILE)
    worker_profile = any(name == worker_prefix or name.startswith(worker_prefix) for name in names)
    return folder, version_txt, worker_profile


def read_evidence(carbon_home=None, pack=None):
    """Read product, version and worker profile from an unpacked product or a product zip.

    Raises EvidenceError when the path cannot be read as a product. The returned dict is the
    module's ``evidence`` return value.
    """
    if carbon_home is not None:
        source = carbon_home
        folder, version_txt, worker_profile = _read_carbon_home(carbon_home)
    else:
        source = pack
        folder, version_txt, worker_profile = _read_pack(pack)

    folder_product, folder_version = parse_folder_name(folder)
    txt_product, txt_version = parse_version_txt(version_txt)
    return {
        'source': source,
        'folder': folder,
        'product': folder_product or txt_product,
        'version': folder_version or txt_version,
        'version_txt': version_txt.strip() if version_txt is not None else None,
        'worker_profile': worker_profile,
        'folder_product': folder_product,
        'folder_version': folder_version,
        'version_txt_product': txt_product,
        'version_txt_version': txt_version,
    }


def compare_evidence(verdict, evidence):
    """List every disagreement between the requested product and version and the pack's evidence.

    Returns a list of messages, empty when the evidence agrees. A missing worker profile counts
    only for a product that supports worker/manager separation.
    """
    source = evidence['source']
    problems = []
    if evidence['product'] is None and evidence['version'] is None:
        problems.append('%s names no product or version: its folder is %r and %s is %s. Use a WSO2 pack '
                        'whose top folder reads <key>-<version>, for example wso2as-5.3.0.'
                        % (source, evidence['folder'], VERSION_TXT,
                           'missing' if evidence['version_txt'] is None else repr(evidence['version_txt'])))

    checks = (
        ('product', 'folder name %r' % evidence['folder'], evidence['folder_product'], verdict['product']),
        ('version', 'folder name %r' % evidence['folder'], evidence['folder_version'], verdict['version']),
        ('product', '%s %r' % (VERSION_TXT, evidence['version_txt']), evidence['version_txt_product'],
         verdict['product']),
        ('version', '%s %r' % (VERSION_TXT, evidence['version_txt']), evidence['version_txt_version'],
         verdict['version']),
    )
    for option, origin, found, expected in checks:
        if found is not None and found != expected:
            problems.append('%s mismatch in %s: expected %s, found %s in its %s. Set %s to match the pack, '
                            'or point to the right pack.' % (option, source, expected, found, origin, option))

    if verdict['supported'] and not evidence['worker_profile']:
        problems.append('%s has no worker profile (%s), so %s %s cannot start a worker node. Use a complete '
                        'product pack.' % (source, WORKER_PROFILE, verdict['product'], verdict['version']))
    return problems


def _failure_message(verdict_message, problems):
    """Join the support verdict, when there is one, and the evidence problems into the failure message."""
    if verdict_message is None:
        return ' '.join(problems)
    return ' '.join([verdict_message] + list(problems))


def evaluate(product, version, carbon_home=None, pack=None, fail_on_unsupported=True):
    """Build the module result for one request.

    Returns (result, error). ``error`` is None when the module should succeed; otherwise it is
    the failure message. Evidence problems fail regardless of ``fail_on_unsupported``, because
    they mean the request and the pack describe different products. Their message starts with
    the support verdict when the product and version do not support worker/manager separation,
    because the module's ``msg`` then shows only the failure message.
    """
    verdict = evaluate_support(product, version)
    message = verdict.pop('message')
    result = dict(verdict, evidence=None, msg=message or '%s %s (%s) supports worker/manager separation (%s).'
                  % (verdict['product'], verdict['version'], verdict['display_name'], verdict['level']))

    if carbon_home is not None or pack is not None:
        try:
            evidence = read_evidence(carbon_home=carbon_home, pack=pack)
        except EvidenceError as exc:
            return result, _failure_message(message, [str(exc)])
        result['evidence'] = evidence
        problems = compare_evidence(verdict, evidence)
        if problems:
            return result, _failure_message(message, problems)

    if message is not None and fail_on_unsupported:
        return result, message
    return result, None
