# -*- coding: utf-8 -*-
# Copyright: Contributors to the wso2_carbon.clustering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

lxml_etree = pytest.importorskip('lxml.etree')

from ansible_collections.wso2_carbon.clustering.plugins.module_utils.carbon_xml import (  # noqa: E402
    SECRET_MASK,
    CarbonXmlError,
    backup_mode,
    edit_document,
    mask_text,
    public_changes,
    secret_values,
    split_last_step,
)

CARBON_NS = 'http://wso2.org/projects/carbon/carbon.xml'
NAMESPACES = {'c': CARBON_NS}

CARBON_XML = u"""<?xml version="1.0" encoding="ISO-8859-1"?>

<!--
  Test copy of a Carbon server configuration. Caf\u00e9 keeps a non-ASCII character in the file.
-->

<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">

    <!-- Display name of the product -->
    <Name>Test Product</Name>

    <!-- Host name that the server puts into generated URLs -->
    <HostName>localhost</HostName>

    <!--
    <MgtHostName>management.example.test</MgtHostName>
    -->

    <Ports>
        <!-- Added to every port below -->
        <Offset>0</Offset>
        <JMX>
            <RMIRegistryPort>9999</RMIRegistryPort>
        </JMX>
    </Ports>

    <DeploymentSynchronizer>
        <Enabled>false</Enabled>
        <AutoCommit>false</AutoCommit>
        <AutoCheckout>true</AutoCheckout>
        <SvnUser>username</SvnUser>
        <SvnPassword>password</SvnPassword>
    </DeploymentSynchronizer>
    <Placeholder></Placeholder>
</Server>
""".encode('iso-8859-1')

AXIS2_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<axisconfig name="AxisJava2.0">
    <!-- Transports come first -->
    <transportReceiver name="http" class="example.HttpReceiver"/>

    <!-- ================================================= -->
    <!--                Clustering                         -->
    <!-- ================================================= -->
    <clustering class="example.ClusteringAgent"
                enable="false">
        <parameter name="membershipScheme">multicast</parameter>
        <parameter name="domain">wso2.carbon.domain</parameter>
    </clustering>

    <!-- Transports senders follow the clustering section -->
    <transportSender name="http" class="example.HttpSender"/>
</axisconfig>
"""

CLUSTERING_FRAGMENT = """<clustering class="example.ClusteringAgent" enable="true">
    <parameter name="membershipScheme">wka</parameter>
    <parameter name="domain">wso2.as.domain</parameter>
    <members>
        <member>
            <hostName>172.28.2.21</hostName>
            <port>4000</port>
        </member>
    </members>
</clustering>
"""

CATALINA_XML = b"""<Server port="8005" shutdown="SHUTDOWN">
    <Service name="Catalina">
        <!-- optional attributes: proxyPort="80" -->
        <Connector protocol="org.apache.coyote.http11.Http11NioProtocol"
                   port="9763"
                   redirectPort="9443"
                   compression="on"/>
        <Connector protocol="org.apache.coyote.http11.Http11NioProtocol"
                   port="9443"
                   scheme="https"
                   secure="true"/>
    </Service>
</Server>
"""


def apply(data, *edits, **kwargs):
    return edit_document(data, list(edits), kwargs.get('namespaces', NAMESPACES), '/test/carbon.xml')


def carbon_text(outcome):
    return outcome.after_bytes.decode('iso-8859-1')


def changed_lines(before, after):
    """Return the lines that differ between two texts of the same line count."""
    before_lines = before.splitlines()
    after_lines = after.splitlines()
    assert len(before_lines) == len(after_lines)
    return [(old, new) for old, new in zip(before_lines, after_lines) if old != new]


# carbon.xml: a default namespace, comments and an ISO-8859-1 declaration


def test_set_hostname_changes_one_line():
    outcome = apply(CARBON_XML, {'xpath': '/c:Server/c:HostName', 'value': 'as.wso2.test'})

    assert outcome.changed
    assert changed_lines(CARBON_XML.decode('iso-8859-1'), carbon_text(outcome)) == [
        ('    <HostName>localhost</HostName>', '    <HostName>as.wso2.test</HostName>'),
    ]


def test_set_hostname_keeps_declaration_and_encoding():
    outcome = apply(CARBON_XML, {'xpath': '/c:Server/c:HostName', 'value': 'as.wso2.test'})

    assert outcome.after_bytes.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>\n\n<!--')
    assert u'Caf\u00e9'.encode('iso-8859-1') in outcome.after_bytes
    assert b'<Placeholder></Placeholder>' in outcome.after_bytes


def test_add_mgt_hostname_after_hostname():
    outcome = apply(CARBON_XML, {
        'xpath': '/c:Server/c:MgtHostName',
        'element': '<MgtHostName>mgt.as.wso2.test</MgtHostName>',
        'insert_after': 'c:HostName',
    })
    text = carbon_text(outcome)
    root = lxml_etree.fromstring(outcome.after_bytes)

    assert '    <HostName>localhost</HostName>\n\n    <MgtHostName>mgt.as.wso2.test</MgtHostName>\n' in text
    assert root.find('{%s}HostName' % CARBON_NS).getnext().tag == '{%s}MgtHostName' % CARBON_NS
    assert 'xmlns=""' not in text
    assert outcome.changes[0]['action'] == 'added'


def test_add_mgt_hostname_from_value():
    outcome = apply(CARBON_XML, {'xpath': '/c:Server/c:MgtHostName', 'value': 'mgt.as.wso2.test',
                                 'insert_after': 'c:HostName'})
    root = lxml_etree.fromstring(outcome.after_bytes)

    assert root.findtext('{%s}MgtHostName' % CARBON_NS) == 'mgt.as.wso2.test'
    assert outcome.changes[0]['action'] == 'created'


def test_port_offset_from_number():
    outcome = apply(CARBON_XML, {'xpath': '/c:Server/c:Ports/c:Offset', 'value': 2})

    assert changed_lines(CARBON_XML.decode('iso-8859-1'), carbon_text(outcome)) == [
        ('        <Offset>0</Offset>', '        <Offset>2</Offset>'),
    ]
    assert outcome.changes[0]['old'] == '0'
    assert outcome.changes[0]['new'] == '2'


def test_deployment_synchronizer_children():
    sync = '/c:Server/c:DeploymentSynchronizer/c:'
    outcome = apply(
        CARBON_XML,
        {'xpath': sync + 'Enabled', 'value': True},
        {'xpath': sync + 'AutoCommit', 'value': False},
        {'xpath': sync + 'AutoCheckout', 'value': True},
        {'xpath': sync + 'SvnUrlAppendTenantId', 'value': True},
    )
    text = carbon_text(outcome)

    assert '        <Enabled>true</Enabled>\n' in text
    assert '        <AutoCommit>false</AutoCommit>\n' in text
    expected_tail = ('        <SvnPassword>password</SvnPassword>\n'
                     '        <SvnUrlAppendTenantId>true</SvnUrlAppendTenantId>\n'
                     '    </DeploymentSynchronizer>\n')
    assert expected_tail in text
    assert [change['xpath'] for change in outcome.changes] == [sync + 'Enabled', sync + 'SvnUrlAppendTenantId']


def test_remove_last_child_keeps_indentation():
    outcome = apply(CARBON_XML, {'xpath': '/c:Server/c:DeploymentSynchronizer/c:SvnPassword', 'state': 'absent'})

    assert ('        <SvnUser>username</SvnUser>\n    </DeploymentSynchronizer>\n') in carbon_text(outcome)


def test_remove_middle_child_keeps_indentation():
    outcome = apply(CARBON_XML, {'xpath': '/c:Server/c:DeploymentSynchronizer/c:AutoCommit', 'state': 'absent'})

    assert ('        <Enabled>false</Enabled>\n        <AutoCheckout>true</AutoCheckout>\n') in carbon_text(outcome)


def test_second_apply_changes_nothing():
    edits = [
        {'xpath': '/c:Server/c:HostName', 'value': 'as.wso2.test'},
        {'xpath': '/c:Server/c:MgtHostName', 'element': '<MgtHostName>mgt.as.wso2.test</MgtHostName>',
         'insert_after': 'c:HostName'},
        {'xpath': '/c:Server/c:Ports/c:Offset', 'value': 1},
        {'xpath': '/c:Server/c:DeploymentSynchronizer/c:SvnUser', 'state': 'absent'},
        {'xpath': '/c:Server/c:DeploymentSynchronizer/c:Enabled', 'value': True},
    ]
    first = apply(CARBON_XML, *edits)
    second = apply(first.after_bytes, *edits)

    assert first.changed
    assert not second.changed
    assert second.after_bytes is None
    assert second.changes == []


def test_value_already_set_is_no_change():
    outcome = apply(CARBON_XML, {'xpath': '/c:Server/c:Ports/c:Offset', 'value': '0'})

    assert not outcome.changed
    assert outcome.after_bytes is None


# axis2.xml: the clustering section replaced by a fragment


def test_clustering_replaced_by_fragment():
    outcome = apply(AXIS2_XML, {'xpath': '/axisconfig/clustering', 'element': CLUSTERING_FRAGMENT}, namespaces={})
    text = outcome.after_bytes.decode('utf-8')

    assert '    <!--                Clustering                         -->\n' in text
    assert '    <!-- Transports senders follow the clustering section -->\n' in text
    assert '    <transportReceiver name="http" class="example.HttpReceiver"/>\n' in text
    assert ('    <clustering class="example.ClusteringAgent" enable="true">\n'
            '        <parameter name="membershipScheme">wka</parameter>\n') in text
    assert ('            <member>\n'
            '                <hostName>172.28.2.21</hostName>\n') in text
    assert '        </members>\n    </clustering>\n\n    <!-- Transports senders' in text
    assert 'multicast' not in text
    assert outcome.changes[0]['action'] == 'replaced'


def test_clustering_fragment_idempotent():
    edit = {'xpath': '/axisconfig/clustering', 'element': CLUSTERING_FRAGMENT}
    first = apply(AXIS2_XML, edit, namespaces={})
    second = apply(first.after_bytes, edit, namespaces={})

    assert first.changed
    assert not second.changed


REGISTRY_XML = b"""<wso2registry>
    <!-- The local registry stays in the embedded database. -->
    <dbConfig name="wso2registry">
        <dataSource>jdbc/WSO2CarbonDB</dataSource>
    </dbConfig>
</wso2registry>
"""

MOUNT_EDITS = [
    {'xpath': "/wso2registry/mount[@path='/_system/config']",
     'element': '<mount path="/_system/config"><targetPath>/_system/config</targetPath></mount>'},
    {'xpath': "/wso2registry/mount[@path='/_system/governance']",
     'element': '<mount path="/_system/governance"><targetPath>/_system/governance</targetPath></mount>',
     'insert_after': "mount[@path='/_system/config']"},
]


def test_fragments_keyed_by_predicate_added():
    outcome = apply(REGISTRY_XML, *MOUNT_EDITS, namespaces={})
    text = outcome.after_bytes.decode('utf-8')

    assert text.index('path="/_system/config"') < text.index('path="/_system/governance"')
    assert '<!-- The local registry stays in the embedded database. -->' in text
    assert [change['action'] for change in outcome.changes] == ['added', 'added']


def test_fragments_keyed_by_predicate_idempotent():
    first = apply(REGISTRY_XML, *MOUNT_EDITS, namespaces={})
    second = apply(first.after_bytes, *MOUNT_EDITS, namespaces={})

    assert first.changed
    assert not second.changed


def test_error_fragment_misses_predicate():
    assert_error(REGISTRY_XML, {'xpath': "/wso2registry/mount[@path='/_system/config']",
                                'element': '<mount path="/elsewhere"/>'},
                 "/wso2registry/mount[@path='/_system/config']", 'does not match the XPath',
                 namespaces={})


def test_clustering_parameter_by_predicate():
    outcome = apply(AXIS2_XML, {'xpath': "/axisconfig/clustering/parameter[@name='domain']",
                                'value': 'wso2.as.domain'}, namespaces={})

    assert b'        <parameter name="domain">wso2.as.domain</parameter>\n' in outcome.after_bytes
    assert b'<clustering class="example.ClusteringAgent"\n                enable="false">' in outcome.after_bytes


# catalina-server.xml: a Connector attribute


def test_proxy_port_set_on_one_connector():
    outcome = apply(CATALINA_XML, {'xpath': "/Server/Service/Connector[@port='9763']", 'attribute': 'proxyPort',
                                   'value': 80}, namespaces={})
    root = lxml_etree.fromstring(outcome.after_bytes)
    http, https = root.findall('Service/Connector')

    assert http.get('proxyPort') == '80'
    assert https.get('proxyPort') is None
    assert (b'        <Connector protocol="org.apache.coyote.http11.Http11NioProtocol"\n'
            b'                   port="9443"\n') in outcome.after_bytes
    assert outcome.changes[0]['attribute'] == 'proxyPort'
    assert outcome.changes[0]['old'] is None
    assert outcome.changes[0]['new'] == '80'


def test_proxy_port_removed():
    edit = {'xpath': "/Server/Service/Connector[@port='9763']", 'attribute': 'proxyPort', 'value': 80}
    added = apply(CATALINA_XML, edit, namespaces={})
    removed = apply(added.after_bytes, dict(edit, value=None, state='absent'), namespaces={})
    root = lxml_etree.fromstring(removed.after_bytes)

    assert root.find("Service/Connector[@port='9763']").get('proxyPort') is None
    assert removed.changes[0]['action'] == 'removed'
    assert removed.changes[0]['old'] == '80'


def test_proxy_port_absent_is_no_change():
    outcome = apply(CATALINA_XML, {'xpath': "/Server/Service/Connector[@port='9763']", 'attribute': 'proxyPort',
                                   'state': 'absent'}, namespaces={})

    assert not outcome.changed


# Secrets


def test_secret_masked_in_changes_and_diff():
    outcome = apply(CARBON_XML, {'xpath': '/c:Server/c:DeploymentSynchronizer/c:SvnPassword',
                                 'value': 'n3w<s&cret', 'secret': True})
    changes = public_changes(outcome.changes)
    secrets = secret_values(outcome.changes)

    assert changes[0]['old'] == SECRET_MASK
    assert changes[0]['new'] == SECRET_MASK
    assert 'n3w' not in repr(changes)
    assert 'n3w' not in mask_text(carbon_text(outcome), secrets)
    assert '<SvnPassword>password</SvnPassword>' not in mask_text(outcome.before_text, secrets)
    assert '<SvnPassword>%s</SvnPassword>' % SECRET_MASK in mask_text(carbon_text(outcome), secrets)


def test_secret_element_fragment_masked():
    outcome = apply(CARBON_XML, {'xpath': '/c:Server/c:DeploymentSynchronizer/c:SvnPassword',
                                 'element': '<SvnPassword>fragment-secret</SvnPassword>', 'secret': True})
    secrets = secret_values(outcome.changes)

    assert 'fragment-secret' in secrets
    assert 'fragment-secret' not in mask_text(carbon_text(outcome), secrets)
    assert 'fragment-secret' not in repr(public_changes(outcome.changes))


def test_non_secret_values_not_masked():
    outcome = apply(CARBON_XML, {'xpath': '/c:Server/c:HostName', 'value': 'as.wso2.test'})

    assert public_changes(outcome.changes)[0]['new'] == 'as.wso2.test'
    assert secret_values(outcome.changes) == []


# Invalid input


def assert_error(data, edit, *fragments, **kwargs):
    with pytest.raises(CarbonXmlError) as error:
        apply(data, edit, **kwargs)
    for fragment in fragments:
        assert fragment in str(error.value)


def test_error_invalid_xml_names_line_and_column():
    with pytest.raises(CarbonXmlError) as error:
        edit_document(b'<Server>\n  <HostName>x</Host>\n</Server>\n',
                      [{'xpath': '/Server/HostName', 'value': 'y'}], {}, '/test/bad.xml')

    assert '/test/bad.xml is not valid XML' in str(error.value)
    assert 'line 2, column' in str(error.value)


def test_error_invalid_xpath():
    assert_error(CARBON_XML, {'xpath': '/c:Server/[', 'value': 'x'}, "XPath '/c:Server/['", 'is invalid')


def test_error_undefined_prefix():
    assert_error(CARBON_XML, {'xpath': '/x:Server/x:HostName', 'value': 'x'}, '/x:Server/x:HostName',
                 'cannot be evaluated')


def test_error_edit_without_action():
    assert_error(CARBON_XML, {'xpath': '/c:Server/c:HostName'}, 'edits[0] (xpath /c:Server/c:HostName)',
                 "neither 'value' nor 'element'")


def test_error_value_and_element():
    assert_error(CARBON_XML, {'xpath': '/c:Server/c:HostName', 'value': 'x', 'element': '<HostName/>'},
                 "both 'value' and 'element'")


def test_error_absent_with_value():
    assert_error(CARBON_XML, {'xpath': '/c:Server/c:HostName', 'value': 'x', 'state': 'absent'},
                 "takes no 'value' or 'element'")


def test_error_value_of_wrong_type():
    assert_error(CARBON_XML, {'xpath': '/c:Server/c:HostName', 'value': {'a': 1}}, '/c:Server/c:HostName',
                 'is a dict')


def test_error_fragment_does_not_parse():
    assert_error(CARBON_XML, {'xpath': '/c:Server/c:HostName', 'element': '<HostName>x</Name>'},
                 'Edit /c:Server/c:HostName', 'fragment is not valid XML', 'line 1, column')


def test_error_fragment_with_two_roots():
    assert_error(CARBON_XML, {'xpath': '/c:Server/c:HostName', 'element': '<HostName/><HostName/>'},
                 'exactly one root element', 'it contains 2 elements')


def test_error_fragment_name_differs_from_xpath():
    assert_error(CARBON_XML, {'xpath': '/c:Server/c:MgtHostName', 'element': '<HostName>x</HostName>'},
                 '/c:Server/c:MgtHostName', 'next run would add the fragment again')


@pytest.mark.parametrize('xpath, described', [
    ('/c:Server/c:HostName/text()', "the text 'localhost'"),
    ('/c:Server/@missing | /c:Server/c:Name/text()', "the text 'Test Product'"),
    ('/c:Server/comment()', 'a comment'),
    ('count(/c:Server/*)', 'not elements'),
])
def test_error_xpath_matches_non_element(xpath, described):
    assert_error(CARBON_XML, {'xpath': xpath, 'value': 'x'}, xpath, described)


def test_error_xpath_matches_attribute():
    assert_error(CATALINA_XML, {'xpath': '/Server/@port', 'value': '1'}, 'the attribute port',
                 "use 'attribute'", namespaces={})


def test_error_missing_parent():
    assert_error(CARBON_XML, {'xpath': '/c:Server/c:Missing/c:Child', 'value': 'x'},
                 '/c:Server/c:Missing/c:Child', 'its parent /c:Server/c:Missing is not in the file')


def test_error_last_step_not_plain_name():
    assert_error(CARBON_XML, {'xpath': "/c:Server/c:Port[@name='x']", 'value': 'x'},
                 "/c:Server/c:Port[@name='x']", 'not a plain element name')


def test_error_value_on_element_with_children():
    assert_error(CARBON_XML, {'xpath': '/c:Server/c:Ports', 'value': 'x'}, '/c:Server/c:Ports',
                 'has child elements')


def test_error_insert_after_matches_nothing():
    assert_error(CARBON_XML, {'xpath': '/c:Server/c:MgtHostName', 'value': 'x', 'insert_after': 'c:Nothing'},
                 "insert_after 'c:Nothing' matches no child")


def test_error_remove_root():
    assert_error(CARBON_XML, {'xpath': '/c:Server', 'state': 'absent'}, 'root element')


def test_error_invalid_namespace_prefix():
    assert_error(CARBON_XML, {'xpath': '/c:Server/c:HostName', 'value': 'x'}, "prefix ''",
                 namespaces={'': CARBON_NS})


@pytest.mark.parametrize('xpath, parent, step', [
    ('/c:Server/c:HostName', '/c:Server', 'c:HostName'),
    ("/a/b[@name='x/y']", '/a', "b[@name='x/y']"),
    ('HostName', None, 'HostName'),
])
def test_split_last_step(xpath, parent, step):
    assert split_last_step(xpath) == (parent, step)


@pytest.mark.parametrize('file_mode, existing_backup_mode, expected', [
    (0o640, None, 0o640),
    (0o644, None, 0o644),
    (0o640, 0o644, 0o640),
    (0o600, 0o664, 0o600),
    (0o644, 0o600, 0o600),
    (0o640, 0o604, 0o600),
    (0o640, 0o640, 0o640),
])
def test_backup_mode(file_mode, existing_backup_mode, expected):
    assert backup_mode(file_mode, existing_backup_mode) == expected
