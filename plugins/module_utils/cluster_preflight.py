# -*- coding: utf-8 -*-
# Copyright: Contributors to the wso2_carbon.clustering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Check the inventory model of a WSO2 Carbon cluster before any host changes.

check_cluster() takes one entry per host, {host, groups, vars}, and returns every problem
found. It reads nothing but its argument, so unit tests can call it directly.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import json
from collections import Counter

MANAGERS = 'carbon_managers'
WORKERS = 'carbon_workers'
LOAD_BALANCERS = 'carbon_load_balancers'
DATABASES = 'carbon_databases'

PATTERNS = (1, 2, 3)
MANAGER_COUNT = {1: 1, 2: 2, 3: 2}
LOAD_BALANCER_COUNT = {1: 1, 2: 1, 3: 2}
MIN_WORKERS = 2

SUB_DOMAINS = {MANAGERS: 'mgt', WORKERS: 'worker'}
LOAD_BALANCER_SUB_DOMAINS = ('worker', 'mgt')
MANAGER_MODES = ('active_passive', 'active_active')

# Hazelcast member port that the roles use when carbon_member_port is undefined.
DEFAULT_MEMBER_PORT = 4000

# Ports a Carbon node listens on before carbon.xml's port offset is added: the servlet HTTP and HTTPS
# connectors, and for products with the PassThrough transport also its HTTP and HTTPS listeners.
SERVLET_PORTS = (9763, 9443)
PASS_THROUGH_PORTS = (8280, 8243)
PASS_THROUGH_PRODUCTS = frozenset(['wso2esb', 'wso2am'])

# Set on managers and workers, with the same value on every host that sets them.
SHARED_VARIABLES = (
    'carbon_cluster_domain',
    'carbon_product',
    'carbon_product_version',
    'carbon_worker_hostname',
    'carbon_manager_hostname',
)

# Each secret and the groups whose hosts need it.
SECRETS = (
    ('carbon_db_password', (MANAGERS, WORKERS, DATABASES)),
    ('carbon_admin_password', (MANAGERS, WORKERS)),
)
SECRET_MASK = '********'

# Lower-case secret values, with '-', '_' and spaces removed, that example files use in place of a real secret.
PLACEHOLDERS = frozenset(['changeme', 'replaceme', 'placeholder', 'secret', 'password', 'todo', 'fixme'])

# Every variable check_cluster() reads. The module accepts exactly these under nodes[].vars.
VARIABLES = (
    'carbon_cluster_pattern',
    'carbon_product',
    'carbon_product_version',
    'carbon_cluster_domain',
    'carbon_sub_domain',
    'carbon_member_host',
    'carbon_member_port',
    'carbon_port_offset',
    'carbon_worker_hostname',
    'carbon_manager_hostname',
    'carbon_manager_mode',
    'carbon_active_manager',
    'carbon_db_password',
    'carbon_admin_password',
    'load_balancer_sub_domains',
)
SECRET_VARIABLES = tuple(name for name, _groups in SECRETS)


def format_value(value):
    """Format a variable's value for a problem line: JSON, or 'undefined' for None."""
    if value is None:
        return 'undefined'
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def format_problem(problem):
    """Return the one-line form '<host>: <variable>=<value>: <message> Fix: <fix>'."""
    value = format_value(problem['value'])
    return '%s: %s=%s: %s Fix: %s' % (problem['host'], problem['variable'], value, problem['message'], problem['fix'])


def _parse_whole_number(value):
    """Return the integer of an int or a digit string, or None for anything else (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_pattern(value):
    """Return the pattern number of an int or a digit string, or None when it is not 1, 2 or 3."""
    number = _parse_whole_number(value)
    return number if number in PATTERNS else None


def parse_port(value, minimum=1):
    """Return a TCP port from an int or a digit string, or None when it is not in minimum-65535."""
    number = _parse_whole_number(value)
    if number is None:
        return None
    return number if minimum <= number <= 65535 else None


def is_placeholder(secret):
    normalized = secret.lower().replace('-', '').replace('_', '').replace(' ', '')
    return normalized in PLACEHOLDERS


class _Node(object):
    """One host of the inventory model."""

    def __init__(self, host, groups, variables, default_member_host=None):
        self.host = host
        self.groups = groups
        self.vars = variables
        self.default_member_host = default_member_host

    def get(self, name):
        """Return a variable's value, or None when it is undefined."""
        return self.vars.get(name)

    def is_carbon_node(self):
        return MANAGERS in self.groups or WORKERS in self.groups


class _Checker(object):
    """Problems and warnings collected while the checks run."""

    def __init__(self):
        self.problems = []
        self.warnings = []

    def problem(self, host, variable, value, message, fix):
        self.problems.append(dict(host=host, variable=variable, value=value, message=message, fix=fix))

    def warning(self, host, variable, value, message, fix):
        self.warnings.append(dict(host=host, variable=variable, value=value, message=message, fix=fix))


def _load_nodes(checker, nodes):
    """Validate the shape of the model and return its entries as _Node objects."""
    if not isinstance(nodes, list) or not nodes:
        checker.problem('inventory', 'nodes', None, 'The inventory model is empty or not a list.',
                        'Run the preflight role on every host of the cluster (hosts: all).')
        return []

    loaded = []
    seen = set()
    for index, entry in enumerate(nodes):
        label = 'nodes[%d]' % index
        if not isinstance(entry, dict) or not isinstance(entry.get('host'), str) or not entry.get('host'):
            checker.problem(label, 'host', None, 'The entry has no inventory host name.',
                            'Build each entry as {host: inventory_hostname, groups: group_names, vars: {...}}.')
            continue
        host = entry['host']
        groups = entry.get('groups') or []
        variables = entry.get('vars') or {}
        if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
            checker.problem(host, 'groups', groups, 'The groups are not a list of group names.',
                            'Pass the host\'s group_names.')
            groups = []
        if not isinstance(variables, dict):
            checker.problem(host, 'vars', None, 'The variables are not a dict.',
                            'Pass a dict of variable names to values.')
            variables = {}
        if host in seen:
            checker.problem(host, 'host', host, 'The host appears more than once in the model.',
                            'Give each inventory host one entry.')
            continue
        seen.add(host)
        variables = dict((name, value) for name, value in variables.items() if value is not None)
        loaded.append(_Node(host, list(groups), variables, entry.get('default_member_host') or None))
    return loaded


def _members(nodes, group):
    return [node for node in nodes if group in node.groups]


def _majority(values):
    """Return the most common value and how many times it occurs. Ties go to the value seen first."""
    counts = Counter(format_value(value) for value in values)
    best = max(counts.values())
    for value in values:
        if counts[format_value(value)] == best:
            return value, best
    return None, 0


def _check_pattern(checker, nodes):
    """Check carbon_cluster_pattern on every host and return the cluster's pattern, or None."""
    valid = []
    for node in nodes:
        value = node.get('carbon_cluster_pattern')
        pattern = parse_pattern(value)
        if value is None:
            checker.problem(node.host, 'carbon_cluster_pattern', value, 'The clustering pattern is undefined.',
                            'Set carbon_cluster_pattern to 1, 2 or 3 in group_vars/all.')
        elif pattern is None:
            checker.problem(node.host, 'carbon_cluster_pattern', value, 'The clustering pattern is not 1, 2 or 3.',
                            'Set carbon_cluster_pattern to 1, 2 or 3 in group_vars/all.')
        else:
            valid.append((node, pattern))
    if not valid:
        return None

    pattern, count = _majority([pattern for _node, pattern in valid])
    for node, node_pattern in valid:
        if node_pattern != pattern:
            checker.problem(node.host, 'carbon_cluster_pattern', node.get('carbon_cluster_pattern'),
                            'The host uses pattern %d, but %d of %d hosts use pattern %d.'
                            % (node_pattern, count, len(valid), pattern),
                            'Set carbon_cluster_pattern once, in group_vars/all, and remove host overrides.')
    return pattern


def _host_names(nodes, group):
    return [node.host for node in _members(nodes, group)]


def _check_group_sizes(checker, nodes, pattern):
    managers = _host_names(nodes, MANAGERS)
    workers = _host_names(nodes, WORKERS)
    load_balancers = _host_names(nodes, LOAD_BALANCERS)
    databases = _host_names(nodes, DATABASES)
    variable = "groups['%s']"

    if pattern is not None and len(managers) != MANAGER_COUNT[pattern]:
        checker.problem('inventory', variable % MANAGERS, managers,
                        'Pattern %d needs exactly %d manager(s), but the group has %d.'
                        % (pattern, MANAGER_COUNT[pattern], len(managers)),
                        'Put %d host(s) in carbon_managers, or set carbon_cluster_pattern to the pattern you '
                        'deploy.' % MANAGER_COUNT[pattern])
    if len(workers) < MIN_WORKERS:
        checker.problem('inventory', variable % WORKERS, workers,
                        'A cluster needs at least %d workers, but the group has %d.' % (MIN_WORKERS, len(workers)),
                        'Put at least %d hosts in carbon_workers.' % MIN_WORKERS)
    if pattern is not None and len(load_balancers) != LOAD_BALANCER_COUNT[pattern]:
        checker.problem('inventory', variable % LOAD_BALANCERS, load_balancers,
                        'Pattern %d needs exactly %d load balancer(s), but the group has %d.'
                        % (pattern, LOAD_BALANCER_COUNT[pattern], len(load_balancers)),
                        'Put %d host(s) in carbon_load_balancers.' % LOAD_BALANCER_COUNT[pattern])
    if not databases:
        checker.problem('inventory', variable % DATABASES, databases,
                        'The cluster has no database host for the shared user store and registry.',
                        'Put one host in carbon_databases.')
    elif len(databases) > 1:
        # carbon_db_host defaults to the first database host, so the others serve no Carbon node unless
        # carbon_user_store_db or carbon_registry_db point at them. That can be intended, hence a warning.
        checker.warning('inventory', variable % DATABASES, databases,
                        'By default only %s serves the cluster, because carbon_db_host defaults to the first '
                        'database host.' % databases[0],
                        'Keep one host in carbon_databases, or point carbon_user_store_db or carbon_registry_db '
                        'at the other hosts on purpose.')

    for node in nodes:
        if MANAGERS in node.groups and WORKERS in node.groups:
            checker.problem(node.host, 'group_names', node.groups,
                            'The host is in both carbon_managers and carbon_workers.',
                            'Put each Carbon node in exactly one of the two groups.')


def _check_sub_domains(checker, nodes):
    for group, expected in sorted(SUB_DOMAINS.items()):
        for node in _members(nodes, group):
            if MANAGERS in node.groups and WORKERS in node.groups:
                continue
            value = node.get('carbon_sub_domain')
            if value != expected:
                checker.problem(node.host, 'carbon_sub_domain', value,
                                'A host in %s must have the sub-domain %r.' % (group, expected),
                                'Set carbon_sub_domain: %s in group_vars/%s and remove host overrides.'
                                % (expected, group))


def _check_shared_variables(checker, nodes):
    carbon_nodes = [node for node in nodes if node.is_carbon_node()]
    for name in SHARED_VARIABLES:
        for node in carbon_nodes:
            value = node.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                checker.problem(node.host, name, value, 'The variable is undefined or empty on a Carbon node.',
                                'Set %s in group_vars/all.' % name)

        setters = [node for node in nodes if node.get(name) is not None]
        if not setters:
            continue
        common, count = _majority([node.get(name) for node in setters])
        for node in setters:
            if node.get(name) != common:
                checker.problem(node.host, name, node.get(name),
                                'The value differs from %s, which %d of %d hosts use.'
                                % (format_value(common), count, len(setters)),
                                'Set %s once, in group_vars/all, and remove host overrides.' % name)

    for node in nodes:
        worker_hostname = node.get('carbon_worker_hostname')
        if worker_hostname is not None and worker_hostname == node.get('carbon_manager_hostname'):
            checker.problem(node.host, 'carbon_manager_hostname', worker_hostname,
                            'The manager host name equals the worker host name, so the load balancer cannot '
                            'tell management traffic from service traffic.',
                            'Give the managers their own name, for example mgt.%s.' % worker_hostname)


def _service_ports(node):
    """Return the ports that the node's product listens on besides the member port, or () when unknown."""
    offset_value = node.get('carbon_port_offset')
    offset = 0 if offset_value is None else parse_port(offset_value, minimum=0)
    if offset is None:
        return ()
    ports = SERVLET_PORTS
    if node.get('carbon_product') in PASS_THROUGH_PRODUCTS:
        ports = ports + PASS_THROUGH_PORTS
    return tuple(port + offset for port in ports)


def _member_address(checker, node):
    """Return the node's member IPv4 address as text, or None when it is unknown or invalid."""
    explicit = node.get('carbon_member_host')
    if explicit is None:
        # The roles then use the host's default IPv4 address, known once facts are gathered.
        return node.default_member_host
    try:
        address = ipaddress.IPv4Address(explicit.strip()) if isinstance(explicit, str) else None
    except ValueError:
        address = None
    if address is None:
        checker.problem(node.host, 'carbon_member_host', explicit, 'The member host is not an IPv4 '
                        'address.', 'Set carbon_member_host to the IPv4 address the other members reach, '
                        'or remove it to use the default IPv4 address of the host.')
        return None
    if address.is_loopback or address.is_unspecified:
        checker.problem(node.host, 'carbon_member_host', explicit, 'The member host is a loopback or '
                        'unspecified address, which other members cannot reach.',
                        'Set carbon_member_host to an address on the cluster network.')
        return None
    return str(address)


def _describe_address_source(node):
    if node.get('carbon_member_host') is None:
        return '%s uses its default IPv4 address' % node.host
    return '%s sets carbon_member_host' % node.host


def _check_members(checker, nodes):
    seen = {}
    for node in nodes:
        if not node.is_carbon_node():
            continue
        port_value = node.get('carbon_member_port')
        port = DEFAULT_MEMBER_PORT if port_value is None else parse_port(port_value)
        if port is None:
            checker.problem(node.host, 'carbon_member_port', port_value, 'The member port is not an integer '
                            'from 1 to 65535.', 'Set carbon_member_port to a free TCP port, such as 4000.')
        elif port in _service_ports(node):
            checker.problem(node.host, 'carbon_member_port', port,
                            'The member port is also an HTTP or HTTPS port of the product on this node (%s, '
                            'after carbon_port_offset), so the node cannot start.'
                            % ', '.join(str(service_port) for service_port in _service_ports(node)),
                            'Set carbon_member_port to a free TCP port, such as 4000.')

        address = _member_address(checker, node)
        if address is None or port is None:
            continue
        key = (address, port)
        other = seen.get(key)
        if other is None:
            seen[key] = node
            continue
        # Blame the host whose carbon_member_host set the address, because a fact cannot be wrong.
        blamed, innocent = node, other
        if node.get('carbon_member_host') is None and other.get('carbon_member_host') is not None:
            blamed, innocent = other, node
        variable = 'carbon_member_host' if blamed.get('carbon_member_host') is not None else 'carbon_member_port'
        checker.problem(blamed.host, variable, '%s:%d' % key,
                        'The member address and port are also those of %s (%s, %s).'
                        % (innocent.host, _describe_address_source(blamed), _describe_address_source(innocent)),
                        'Give each member its own address or port: correct or remove carbon_member_host on %s, '
                        'or set a different carbon_member_port.' % blamed.host)


def _check_managers(checker, nodes):
    managers = _host_names(nodes, MANAGERS)
    for node in nodes:
        mode = node.get('carbon_manager_mode')
        if mode is not None and mode not in MANAGER_MODES:
            checker.problem(node.host, 'carbon_manager_mode', mode, 'The manager mode is not one of %s.'
                            % ', '.join(MANAGER_MODES), 'Set carbon_manager_mode to active_passive or '
                            'active_active.')
        active = node.get('carbon_active_manager')
        if active is not None and active not in managers:
            checker.problem(node.host, 'carbon_active_manager', active, 'The active manager is not a host in '
                            'carbon_managers (%s).' % ', '.join(managers or ['none']),
                            'Set carbon_active_manager to the inventory name of one manager, or remove it to '
                            'use the first manager.')


def _check_load_balancers(checker, nodes, pattern):
    load_balancers = _members(nodes, LOAD_BALANCERS)
    subsets = []
    for node in load_balancers:
        value = node.get('load_balancer_sub_domains')
        if value is None:
            if pattern == 3:
                checker.problem(node.host, 'load_balancer_sub_domains', value, 'Pattern 3 needs the sub-domain '
                                'that each load balancer serves.', 'Set load_balancer_sub_domains: [worker] on '
                                'one load balancer and [mgt] on the other, in host_vars.')
            continue
        if (not isinstance(value, list) or not value
                or not all(item in LOAD_BALANCER_SUB_DOMAINS for item in value) or len(set(value)) != len(value)):
            checker.problem(node.host, 'load_balancer_sub_domains', value, 'The sub-domains are not a non-empty '
                            'list of distinct values from worker and mgt.', 'Set load_balancer_sub_domains to '
                            '[worker], [mgt] or [worker, mgt].')
            continue
        subsets.append((node, value))

    if pattern != 3 or len(load_balancers) != LOAD_BALANCER_COUNT[3]:
        return
    for node, value in subsets:
        if len(value) != 1:
            checker.problem(node.host, 'load_balancer_sub_domains', value, 'In pattern 3 each load balancer '
                            'serves exactly one sub-domain.', 'Set [worker] on one load balancer and [mgt] on '
                            'the other.')
    served = Counter(value[0] for _node, value in subsets if len(value) == 1)
    for node, value in subsets:
        if len(value) == 1 and served[value[0]] > 1:
            checker.problem(node.host, 'load_balancer_sub_domains', value, 'Both load balancers serve the '
                            'sub-domain %s, so the other has none.' % value[0],
                            'Set [worker] on one load balancer and [mgt] on the other.')


def _check_secrets(checker, nodes):
    for name, groups in SECRETS:
        for node in nodes:
            if not any(group in node.groups for group in groups):
                continue
            value = node.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if value is None:
                checker.problem(node.host, name, None, 'The secret is undefined.',
                                'Set %s in group_vars/all, encrypted with Ansible Vault.' % name)
            elif value == '':
                checker.problem(node.host, name, '', 'The secret is empty.',
                                'Set %s to a non-empty string, encrypted with Ansible Vault.' % name)
            elif not isinstance(value, str):
                checker.problem(node.host, name, SECRET_MASK, 'The secret is not a string.',
                                'Set %s to a string, encrypted with Ansible Vault.' % name)
            elif is_placeholder(value):
                checker.problem(node.host, name, SECRET_MASK, 'The secret is still a placeholder value.',
                                'Replace it with a real secret, encrypted with Ansible Vault.')


def check_cluster(nodes):
    """Run every check on the inventory model and return (problems, warnings).

    Each problem and warning is a dict with host, variable, value, message and fix. Values of
    secrets are never returned. They appear as SECRET_MASK, as '' when empty, or as None when undefined.
    """
    checker = _Checker()
    loaded = _load_nodes(checker, nodes)
    if not loaded:
        return checker.problems, checker.warnings

    pattern = _check_pattern(checker, loaded)
    _check_group_sizes(checker, loaded, pattern)
    _check_sub_domains(checker, loaded)
    _check_shared_variables(checker, loaded)
    _check_members(checker, loaded)
    _check_managers(checker, loaded)
    _check_load_balancers(checker, loaded, pattern)
    _check_secrets(checker, loaded)
    return checker.problems, checker.warnings


def failure_message(problems):
    """Return the module's failure message: a summary line, then one line per problem."""
    lines = ['The inventory has %d problem(s), so no host was changed.' % len(problems)]
    lines.extend(format_problem(problem) for problem in problems)
    return '\n'.join(lines)
