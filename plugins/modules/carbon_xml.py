#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the wso2_carbon.clustering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
module: carbon_xml
short_description: Edit one Carbon XML configuration file in place
version_added: 0.1.0
description:
  - Applies a list of edits to one XML file of a WSO2 Carbon product, such as C(carbon.xml),
    C(axis2.xml) or C(catalina-server.xml), and writes the file once.
  - Everything the edits do not touch stays as it was, byte for byte where possible. This includes the
    XML declaration, the encoding, comments, processing instructions, indentation and the layout of
    start tags.
  - Each edit selects elements with an XPath and sets their text, sets or removes an attribute, replaces
    them with an XML fragment, or removes them.
  - When an edit matches nothing, the module creates the element if its parent exists and the last step of
    the XPath is a plain element name, optionally with a namespace prefix.
  - The file is rewritten only when an edit changes it, through an atomic rename.
author:
  - WSO2 Carbon clustering collection maintainers (!UNKNOWN)
requirements:
  - lxml on the managed node (C(python3-lxml) on Debian)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
options:
  path:
    description:
      - The XML file to edit. It must exist.
    type: path
    required: true
  namespaces:
    description:
      - Prefix to namespace URI map used by the XPaths of O(edits).
      - XPath 1.0 has no default namespace, so elements in a namespace need a prefix.
        C(carbon.xml) puts every element in V(http://wso2.org/projects/carbon/carbon.xml), so its XPaths read
        C(/c:Server/c:HostName) with C(c) mapped to that URI.
    type: dict
    default: {}
  edits:
    description:
      - The edits, applied in order. A later edit sees the result of the earlier ones.
    type: list
    elements: dict
    required: true
    suboptions:
      xpath:
        description:
          - XPath 1.0 expression that selects the elements to change.
          - It must select elements. An XPath that selects attributes, text or comments is rejected.
        type: str
        required: true
      value:
        description:
          - Text to set on every matched element, or the value of O(edits[].attribute) when that is given.
          - Numbers are written with Python's C(str()). Booleans are written as V(true) or V(false).
          - Elements that have child elements cannot take a value. Use O(edits[].element) for them.
        type: raw
      attribute:
        description:
          - Name of the attribute that O(edits[].value) sets or O(edits[].state=absent) removes, without C(@).
        type: str
      element:
        description:
          - XML fragment with one root element that replaces every matched element, or that is added under
            the parent when nothing matches.
          - The last step of O(edits[].xpath) may carry a predicate, such as C(mount[@path='/_system/config']),
            so that several siblings of one name can be distinguished. The added fragment must then match the whole
            XPath, or the module fails, because the next run would add it again.
          - An unprefixed fragment without its own C(xmlns) takes the default namespace of the element it is
            placed under.
          - Write the fragment as if its root element started in column 0. The module indents it to match the
            element it replaces or its new siblings.
          - Its root element must be the element that the last step of O(edits[].xpath) names, so that the next
            run finds it.
        type: str
      state:
        description:
          - V(present) sets O(edits[].value) or O(edits[].element).
          - V(absent) removes the matched elements, or only O(edits[].attribute) when that is given.
        type: str
        choices: [present, absent]
        default: present
      insert_after:
        description:
          - XPath relative to the parent that selects the sibling after which a new element is placed.
          - Without it, a new element becomes the last child, with the indentation of its siblings.
          - Used only when the element is created.
        type: str
      secret:
        description:
          - Mask the old and new values of this edit as C(********) in RV(changes), in the diff and in the
            module result.
          - The module arguments still reach the managed node's system log. Set C(no_log) on the task as well
            when the value must not be logged there.
        type: bool
        default: false
  backup:
    description:
      - Before the first change ever made to the file, keep a copy of it at C(<path>.orig).
      - An existing C(<path>.orig) is never overwritten, so it stays the file as the product shipped it.
      - The copy may hold the passwords the product shipped with, so its mode is never more permissive than
        the mode of O(path).
        A new copy gets the owner, group and mode that the task gives O(path) through O(owner), O(group) and
        O(mode), and the current ones of O(path) for those not given.
      - When an existing C(<path>.orig) has permission bits that the mode of O(path) lacks, the module removes
        them and reports a change. It never adds permission bits or changes the owner or group of an
        existing copy.
    type: bool
    default: false
notes:
  - Secrets in O(edits) are module arguments. Ansible logs module arguments unless the task sets C(no_log).
seealso:
  - name: XML Path Language (XPath) 1.0
    description: The expression language of O(edits[].xpath).
    link: https://www.w3.org/TR/1999/REC-xpath-19991116/
"""

EXAMPLES = r"""
- name: Set the host names and port offset in carbon.xml
  wso2_carbon.clustering.carbon_xml:
    path: /opt/wso2/wso2as-5.3.0/repository/conf/carbon.xml
    backup: true
    namespaces:
      c: http://wso2.org/projects/carbon/carbon.xml
    edits:
      - xpath: /c:Server/c:HostName
        value: as.wso2.test
      - xpath: /c:Server/c:MgtHostName
        value: mgt.as.wso2.test
        insert_after: c:HostName
      - xpath: /c:Server/c:Ports/c:Offset
        value: 0

- name: Replace the clustering section of axis2.xml
  wso2_carbon.clustering.carbon_xml:
    path: /opt/wso2/wso2as-5.3.0/repository/conf/axis2/axis2.xml
    edits:
      - xpath: /axisconfig/clustering
        element: |
          <clustering class="org.wso2.carbon.core.clustering.hazelcast.HazelcastClusteringAgent" enable="true">
              <parameter name="membershipScheme">wka</parameter>
              <parameter name="domain">wso2.as.domain</parameter>
          </clustering>

- name: Put the manager's HTTP connector behind the load balancer
  wso2_carbon.clustering.carbon_xml:
    path: /opt/wso2/wso2as-5.3.0/repository/conf/tomcat/catalina-server.xml
    edits:
      - xpath: /Server/Service/Connector[@port='9763']
        attribute: proxyPort
        value: 80
      - xpath: /Server/Service/Connector[@port='9443']
        attribute: proxyPort
        state: absent

- name: Set the deployment synchronizer password
  wso2_carbon.clustering.carbon_xml:
    path: /opt/wso2/wso2as-5.3.0/repository/conf/carbon.xml
    namespaces:
      c: http://wso2.org/projects/carbon/carbon.xml
    edits:
      - xpath: /c:Server/c:DeploymentSynchronizer/c:SvnPassword
        value: "{{ vault_svn_password }}"
        secret: true
  no_log: true
"""

RETURN = r"""
path:
  description: The edited file.
  returned: always
  type: str
  sample: /opt/wso2/wso2as-5.3.0/repository/conf/carbon.xml
changes:
  description:
    - One entry per edit that changed the file, in the order of O(edits).
    - For O(edits[].element) edits and removed elements, RV(changes[].old) and RV(changes[].new) hold
      serialized XML.
  returned: always
  type: list
  elements: dict
  contains:
    xpath:
      description: The edit's XPath.
      type: str
    attribute:
      description: The attribute that changed, or null when the element changed.
      type: str
    action:
      description: V(updated), V(created), V(added), V(replaced) or V(removed).
      type: str
    old:
      description: Previous value of the first changed match, null when there was none, C(********) for secrets.
      type: str
    new:
      description: New value, null after a removal, C(********) for secrets.
      type: str
    count:
      description: Number of matched elements the edit changed.
      type: int
    secret:
      description: Whether the edit's values are masked.
      type: bool
  sample:
    - xpath: /c:Server/c:HostName
      attribute: null
      action: updated
      old: localhost
      new: as.wso2.test
      count: 1
      secret: false
backup_file:
  description:
    - Path of the copy of the file as it was before the first change.
    - Returned when O(backup=true) and the copy exists, or in check mode would be written.
  returned: when O(backup=true)
  type: str
  sample: /opt/wso2/wso2as-5.3.0/repository/conf/carbon.xml.orig
diff:
  description: Text of the file before and after the edits, with secret values masked.
  returned: when the content changed and diff mode is on
  type: dict
  contains:
    before:
      description: The file before.
      type: str
    after:
      description: The file after.
      type: str
    before_header:
      description: The path.
      type: str
    after_header:
      description: The path.
      type: str
"""

import os
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.wso2_carbon.clustering.plugins.module_utils.carbon_xml import (
    LXML_IMPORT_ERROR,
    CarbonXmlError,
    backup_mode,
    edit_document,
    mask_text,
    public_changes,
    secret_values,
)


def _read_file(module, path):
    if not os.path.exists(path):
        module.fail_json(msg="%s does not exist. carbon_xml edits existing files only; check 'path' and that "
                             "the product is unpacked." % path)
    if not os.path.isfile(path):
        module.fail_json(msg="%s is not a regular file. Give the path of an XML file." % path)
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        module.fail_json(msg="Cannot read %s: %s." % (path, to_native(exc)))


def _write_file(module, path, data):
    """Write data to a temporary file beside path and rename it over path."""
    directory = os.path.dirname(path) or '.'
    handle, temp_path = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(handle, 'wb') as temp_file:
            temp_file.write(data)
    except (IOError, OSError) as exc:
        os.remove(temp_path)
        module.fail_json(msg="Cannot write a temporary file in %s: %s." % (directory, to_native(exc)))
    module.atomic_move(temp_path, path, unsafe_writes=module.params['unsafe_writes'])


def _final_mode(module, path_stat):
    """Return the permission bits that the file has once the task's mode, if any, is applied."""
    mode = module.params['mode']
    if mode is None:
        return stat.S_IMODE(path_stat.st_mode)
    if isinstance(mode, int):
        return mode
    try:
        return int(mode, 8)
    except ValueError:
        pass
    try:
        # AnsibleModule.set_mode_if_different() resolves symbolic modes with the same method.
        return module._symbolic_mode_to_octal(path_stat, mode)
    except ValueError as exc:
        module.fail_json(msg="mode %r is invalid: %s. Give an octal mode such as '0640' or a symbolic mode "
                             "such as 'u=rw,g=r,o='." % (mode, to_native(exc)))


def _write_backup(module, path, backup_file, data, path_stat, mode):
    """Write data, the file before its first change, to backup_file with the file's final owner, group and mode.

    mkstemp() creates the temporary copy readable by its owner only, and it gets its final owner,
    group and mode before the rename. So the shipped passwords in it are never readable by users
    whom the file's own mode keeps out.
    """
    directory = os.path.dirname(backup_file) or '.'
    handle, temp_path = tempfile.mkstemp(prefix='.%s.' % os.path.basename(backup_file), dir=directory)
    module.add_cleanup_file(temp_path)
    try:
        with os.fdopen(handle, 'wb') as temp_file:
            temp_file.write(data)
        os.utime(temp_path, (path_stat.st_atime, path_stat.st_mtime))
    except (IOError, OSError) as exc:
        module.fail_json(msg="Cannot write a temporary backup file in %s: %s." % (directory, to_native(exc)))

    if module.selinux_enabled():
        module.set_context_if_different(temp_path, module.selinux_context(path), False)
    owner = module.params['owner'] if module.params['owner'] is not None else path_stat.st_uid
    group = module.params['group'] if module.params['group'] is not None else path_stat.st_gid
    module.set_owner_if_different(temp_path, owner, False)
    module.set_group_if_different(temp_path, group, False)
    # The mode comes last, because changing the owner can clear the set-user-ID and set-group-ID bits.
    module.set_mode_if_different(temp_path, mode, False)
    try:
        os.rename(temp_path, backup_file)
    except OSError as exc:
        module.fail_json(msg="Cannot rename %s to %s: %s." % (temp_path, backup_file, to_native(exc)))


def main():
    edit_spec = dict(
        xpath=dict(type='str', required=True),
        value=dict(type='raw'),
        attribute=dict(type='str'),
        element=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        insert_after=dict(type='str'),
        secret=dict(type='bool', default=False),
    )
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            namespaces=dict(type='dict', default={}),
            edits=dict(type='list', elements='dict', required=True, options=edit_spec),
            backup=dict(type='bool', default=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )

    if LXML_IMPORT_ERROR is not None:
        message = missing_required_lib('lxml') + '. On Debian, install the python3-lxml package; elsewhere, install lxml with pip.'
        module.fail_json(msg=message, exception=LXML_IMPORT_ERROR)

    path = module.params['path']
    data = _read_file(module, path)
    try:
        outcome = edit_document(data, module.params['edits'], module.params['namespaces'], path)
    except CarbonXmlError as exc:
        module.fail_json(msg=to_native(exc))

    secrets = secret_values(outcome.changes, module.params['edits'])
    # Ansible's result filter also hides these strings wherever they occur, for example in the invocation.
    module.no_log_values.update(secrets)

    result = dict(changed=outcome.changed, path=path, changes=public_changes(outcome.changes))
    backup_file = path + '.orig'

    if module.params['backup']:
        path_stat = os.stat(path)
        final_mode = _final_mode(module, path_stat)
        if os.path.exists(backup_file):
            tightened_mode = backup_mode(final_mode, stat.S_IMODE(os.stat(backup_file).st_mode))
            result['changed'] = module.set_mode_if_different(backup_file, tightened_mode, result['changed'])
        elif outcome.changed and not module.check_mode:
            _write_backup(module, path, backup_file, data, path_stat, final_mode)

    if outcome.changed and not module.check_mode:
        _write_file(module, path, outcome.after_bytes)

    if module.params['backup'] and (os.path.exists(backup_file) or (outcome.changed and module.check_mode)):
        result['backup_file'] = backup_file

    if outcome.changed and module._diff:
        result['diff'] = dict(
            before=mask_text(outcome.before_text, secrets),
            after=mask_text(outcome.after_text, secrets),
            before_header=path,
            after_header=path,
        )

    file_args = module.load_file_common_arguments(module.params)
    result['changed'] = module.set_fs_attributes_if_different(file_args, result['changed'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
