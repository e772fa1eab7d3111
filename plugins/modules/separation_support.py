#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the wso2_carbon.clustering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: separation_support
short_description: Tell whether a WSO2 product and version support worker/manager separation
version_added: 0.1.0
description:
  - Looks up a WSO2 Carbon product and version in the two product tables of WSO2's clustering guide
    page "Separating the Worker and Manager Nodes" (CLUSTER44x). The first table lists the products
    that support worker/manager separation. The second lists the products that do not commonly use it,
    each with WSO2's reason.
  - Every product of both tables is known. The products that support the separation need either the
    standard worker/manager configuration or that configuration plus product-specific steps
    (API Manager, Business Process Server, Enterprise Service Bus, Task Server).
  - Governance Registry 5.0.1 appears only in the page's C(Released Versions) column. This module
    treats it as a known version that is not supported, like every Governance Registry version.
  - With O(carbon_home) or O(pack), the module also reads the product and version from the product
    itself and checks that it contains the worker profile. It fails when that evidence disagrees with
    O(product) and O(version).
  - The module changes nothing on the target.
options:
  product:
    description:
      - The product, as a distribution key such as V(wso2as), a display name such as
        V(Application Server) or V(WSO2 Application Server), or a short name such as V(as), V(esb),
        V(apim) or V(am).
      - Case does not matter.
    type: str
    required: true
  version:
    description:
      - The product version, for example V(5.3.0). A leading V(v) is ignored.
    type: str
    required: true
  carbon_home:
    description:
      - Path of an unpacked product on the target, for example C(/opt/wso2/wso2as-5.3.0).
      - The module reads the product key and version from the directory name C(<key>-<version>) and from
        C(bin/version.txt), and checks that C(repository/components/worker) exists.
      - When the directory name does not have that form and the path is a symbolic link, the name of the
        link target is used instead.
    type: path
  pack:
    description:
      - Path of a product zip on the target, for example C(/var/cache/wso2/wso2as-5.3.0.zip).
      - The module reads the member list and C(bin/version.txt) of the zip without extracting it. Every
        member must sit under one top folder named C(<key>-<version>), and a member under
        C(<top folder>/repository/components/worker/) must exist.
    type: path
  fail_on_unsupported:
    description:
      - Whether to fail when the product or version is unknown, or does not support worker/manager
        separation.
      - When V(false), the module returns RV(supported=false) with RV(level) set to V(not_supported) or
        V(unknown) instead.
      - Evidence problems from O(carbon_home) or O(pack) fail regardless of this option.
    type: bool
    default: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads, so check mode returns the same result as a normal run.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - The product tables describe WSO2 Carbon 4.x products. Versions that neither column of a table lists
    are unknown, even when WSO2 released them later.
  - The C(Released Versions) cells of the Enterprise Service Bus and Identity Server rows are cut off on
    WSO2's page. The module uses their C(Versions) column, which ends with Enterprise Service Bus 5.0.0
    and Identity Server 5.2.0.
seealso:
  - name: Separating the Worker and Manager Nodes
    description: WSO2's clustering guide page that the product tables come from.
    link: https://docs.wso2.com/display/CLUSTER44x/Separating+the+Worker+and+Manager+Nodes
author:
  - WSO2 Carbon clustering collection maintainers (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Check that Application Server 5.3.0 supports worker/manager separation
  wso2_carbon.clustering.separation_support:
    product: wso2as
    version: 5.3.0

- name: Check the product zip before installing it
  wso2_carbon.clustering.separation_support:
    product: Enterprise Service Bus
    version: 4.9.0
    pack: /var/cache/wso2/wso2esb-4.9.0.zip

- name: Check an unpacked product
  wso2_carbon.clustering.separation_support:
    product: as
    version: 5.3.0
    carbon_home: /opt/wso2/wso2as-5.3.0

- name: Record the verdict for Identity Server without failing
  wso2_carbon.clustering.separation_support:
    product: wso2is
    version: 5.2.0
    fail_on_unsupported: false
  register: is_support

- name: Show WSO2's reason
  ansible.builtin.debug:
    msg: "{{ is_support.notes }}"
  when: not is_support.supported
'''

RETURN = r'''
supported:
  description: Whether the product and version support worker/manager separation.
  returned: always
  type: bool
  sample: true
level:
  description:
    - V(standard) for the standard worker/manager configuration.
    - V(additional_configuration) for the standard configuration plus product-specific steps.
    - V(not_supported) for a product that WSO2 lists as not commonly using the separation.
    - V(unknown) for a product or version that WSO2's tables do not list.
  returned: always
  type: str
  choices: [standard, additional_configuration, not_supported, unknown]
  sample: standard
product:
  description: The product's distribution key, or the value of O(product) when the product is unknown.
  returned: always
  type: str
  sample: wso2as
display_name:
  description: WSO2's name of the product without the vendor prefix, or V(null) when the product is unknown.
  returned: always
  type: str
  sample: Application Server
version:
  description: The requested version without surrounding spaces or a leading V(v).
  returned: always
  type: str
  sample: 5.3.0
notes:
  description: WSO2's description of the product's row, or V(null) when the product is unknown.
  returned: always
  type: str
  sample: Standard worker/manager separation.
known_versions:
  description: Every version that WSO2's table lists for the product, in version order. Empty when the product is unknown.
  returned: always
  type: list
  elements: str
  sample: [5.2.0, 5.2.1, 5.3.0]
msg:
  description: A one-line verdict, or the reason for a failure.
  returned: always
  type: str
  sample: wso2as 5.3.0 (Application Server) supports worker/manager separation (standard).
evidence:
  description: What the module read from O(carbon_home) or O(pack). V(null) when neither is set.
  returned: always
  type: dict
  contains:
    source:
      description: The path that was read.
      type: str
      sample: /var/cache/wso2/wso2as-5.3.0.zip
    folder:
      description: The product directory name, or the top folder of the zip.
      type: str
      sample: wso2as-5.3.0
    product:
      description: The product key found, from the folder name first and from C(bin/version.txt) second.
      type: str
      sample: wso2as
    version:
      description: The version found, from the folder name first and from C(bin/version.txt) second.
      type: str
      sample: 5.3.0
    version_txt:
      description: The content of C(bin/version.txt) without surrounding white space, or V(null) when the file is missing.
      type: str
      sample: WSO2 Application Server v5.3.0
    worker_profile:
      description: Whether C(repository/components/worker) exists.
      type: bool
      sample: true
    folder_product:
      description: The product key in the folder name, or V(null) when the name is not C(<key>-<version>).
      type: str
      sample: wso2as
    folder_version:
      description: The version in the folder name, or V(null) when the name is not C(<key>-<version>).
      type: str
      sample: 5.3.0
    version_txt_product:
      description: The product key that C(bin/version.txt) names, or V(null) when it names no known product.
      type: str
      sample: wso2as
    version_txt_version:
      description: The version in C(bin/version.txt), or V(null) when it has none or names no known product.
      type: str
      sample: 5.3.0
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wso2_carbon.clustering.plugins.module_utils.separation_support import evaluate


def main():
    module = AnsibleModule(
        argument_spec=dict(
            product=dict(type='str', required=True),
            version=dict(type='str', required=True),
            carbon_home=dict(type='path'),
            pack=dict(type='path'),
            fail_on_unsupported=dict(type='bool', default=True),
        ),
        mutually_exclusive=[('carbon_home', 'pack')],
        supports_check_mode=True,
    )

    result, error = evaluate(
        product=module.params['product'],
        version=module.params['version'],
        carbon_home=module.params['carbon_home'],
        pack=module.params['pack'],
        fail_on_unsupported=module.params['fail_on_unsupported'],
    )
    if error is not None:
        result['msg'] = error
        module.fail_json(changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
