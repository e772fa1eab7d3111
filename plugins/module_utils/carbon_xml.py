# -*- coding: utf-8 -*-
# Copyright: Contributors to the wso2_carbon.clustering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Edit a Carbon XML configuration file in memory and serialize it with minimal changes.

The module plugins/modules/carbon_xml.py reads the file, calls edit_document() and writes the
result. Everything here works on bytes and lxml trees, so unit tests can import it without
Ansible's module runner.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import codecs
import difflib
import re
import traceback

try:
    from lxml import etree
except ImportError:
    etree = None
    LXML_IMPORT_ERROR = traceback.format_exc()
else:
    LXML_IMPORT_ERROR = None


SECRET_MASK = '********'

# Indentation added for the first child of an element that has no children yet.
INDENT_UNIT = '    '

_NAME = r'[A-Za-z_][A-Za-z0-9_.-]*'
_PLAIN_STEP_RE = re.compile(r'^(?:(?P<prefix>%s):)?(?P<local>%s)$' % (_NAME, _NAME))
_PREFIX_RE = re.compile(r'^%s$' % _NAME)

# Lexical tokens of an XML document. The document has already been parsed by lxml, so the
# patterns only need to split well-formed text. Attribute values may contain ">", so start
# tags consume quoted strings as a whole.
_TOKEN_RE = re.compile(r'''
    (?P<comment><!--.*?-->)
  | (?P<cdata><!\[CDATA\[.*?\]\]>)
  | (?P<pi><\?.*?\?>)
  | (?P<doctype><!DOCTYPE(?:[^\[>]|\[.*?\])*>)
  | (?P<end></[^>]*>)
  | (?P<start><[^\s/>!?][^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>)
  | (?P<text>[^<]+)
''', re.DOTALL | re.VERBOSE)


class CarbonXmlError(Exception):
    """Invalid input, or a file that cannot be edited as requested."""


class EditOutcome(object):
    """Result of edit_document(): the text before and after, and the changes made."""

    def __init__(self, before_text, after_text, after_bytes, changes):
        self.before_text = before_text
        self.after_text = after_text
        self.after_bytes = after_bytes
        self.changes = changes

    @property
    def changed(self):
        return bool(self.changes)


# ---------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------

def value_to_text(value, xpath):
    """Convert an edit's value to the text written into the XML file.

    Booleans become "true"/"false" as Carbon's files spell them. Numbers use str().
    """
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise CarbonXmlError(
        "Edit %s: value %r is a %s. Give a string, number or boolean. To write a whole element, "
        "use 'element' with an XML fragment." % (xpath, value, type(value).__name__))


def validate_namespaces(namespaces):
    """Return the prefix-to-URI map for XPath evaluation, or raise CarbonXmlError."""
    namespaces = namespaces or {}
    for prefix, uri in namespaces.items():
        if not isinstance(prefix, str) or not _PREFIX_RE.match(prefix):
            raise CarbonXmlError(
                "namespaces: prefix %r is not a valid XML name. XPath cannot use a default "
                "namespace, so give the namespace a prefix such as 'c' and write '/c:Server'." % (prefix,))
        if not isinstance(uri, str) or not uri:
            raise CarbonXmlError(
                "namespaces: the URI for prefix %r is %r. Give the namespace URI as a non-empty string." % (prefix, uri))
    return dict(namespaces)


def _compile_xpath(expression, namespaces, label):
    try:
        return etree.XPath(expression, namespaces=namespaces)
    except etree.XPathError as exc:
        raise CarbonXmlError("%s: XPath %r is invalid: %s. Fix the expression." % (label, expression, exc))


def validate_edits(edits, namespaces):
    """Check every edit and return normalized copies.

    Each returned edit has the keys xpath, value (text or None), attribute, element, state,
    insert_after and secret. Raises CarbonXmlError naming the edit and the fix.
    """
    if not isinstance(edits, list) or not edits:
        raise CarbonXmlError("edits must be a non-empty list of dicts, each with an 'xpath'.")

    normalized = []
    for index, edit in enumerate(edits):
        position = 'edits[%d]' % index
        if not isinstance(edit, dict):
            raise CarbonXmlError("%s is %r, not a dict. Give a dict with 'xpath' and 'value', 'element' or "
                                 "'state: absent'." % (position, edit))
        xpath = edit.get('xpath')
        if not isinstance(xpath, str) or not xpath.strip():
            raise CarbonXmlError("%s has no 'xpath'. Give the XPath of the element to change." % position)
        label = '%s (xpath %s)' % (position, xpath)

        state = edit.get('state') or 'present'
        if state not in ('present', 'absent'):
            raise CarbonXmlError("%s: state %r is invalid. Use 'present' or 'absent'." % (label, state))

        value = edit.get('value')
        element = edit.get('element')
        attribute = edit.get('attribute')
        insert_after = edit.get('insert_after')

        if state == 'absent':
            if value is not None or element is not None:
                raise CarbonXmlError("%s: state 'absent' removes the match, so it takes no 'value' or 'element'. "
                                     "Remove them or use state 'present'." % label)
            if insert_after is not None:
                raise CarbonXmlError("%s: 'insert_after' only places new elements. Remove it from this "
                                     "'state: absent' edit." % label)
        elif value is None and element is None:
            raise CarbonXmlError("%s has neither 'value' nor 'element' nor 'state: absent'. Give the text or "
                                 "attribute value to set, an XML fragment, or 'state: absent'." % label)
        elif value is not None and element is not None:
            raise CarbonXmlError("%s has both 'value' and 'element'. Give only one of them." % label)

        if attribute is not None:
            if element is not None:
                raise CarbonXmlError("%s: 'attribute' cannot be combined with 'element'. Use 'value' to set the "
                                     "attribute, or drop 'attribute' to replace the element." % label)
            if not isinstance(attribute, str) or not _PLAIN_STEP_RE.match(attribute):
                raise CarbonXmlError("%s: attribute %r is not a valid attribute name. Give the name without '@', "
                                     "for example 'proxyPort'." % (label, attribute))

        if element is not None and not isinstance(element, str):
            raise CarbonXmlError("%s: 'element' must be a string that contains one XML element." % label)

        _compile_xpath(xpath, namespaces, position)
        if insert_after is not None:
            _compile_xpath(insert_after, namespaces, '%s insert_after' % position)

        normalized.append({
            'xpath': xpath,
            'value': value_to_text(value, xpath) if value is not None else None,
            'attribute': attribute,
            'element': element,
            'state': state,
            'insert_after': insert_after,
            'secret': bool(edit.get('secret', False)),
        })
    return normalized


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------

def make_parser():
    """Return an lxml parser that keeps comments, CDATA and whitespace and loads nothing external."""
    return etree.XMLParser(remove_blank_text=False, remove_comments=False, remove_pis=False,
                           strip_cdata=False, resolve_entities=False, no_network=True)


def parse_document(data, path):
    """Parse the bytes of an XML file, or raise CarbonXmlError with the line and column of the syntax error."""
    try:
        return etree.ElementTree(etree.fromstring(data, make_parser()))
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise CarbonXmlError("%s is not valid XML: %s (line %d, column %d). Fix the file, or restore the copy "
                             "that the product shipped." % (path, exc.msg, line, column))


def _decode(data, encoding, path):
    """Decode file bytes, returning the text and the byte order mark found (or b'')."""
    bom = b''
    if data.startswith(codecs.BOM_UTF8):
        bom = codecs.BOM_UTF8
        data = data[len(bom):]
    try:
        return data.decode(encoding), bom
    except (LookupError, UnicodeDecodeError) as exc:
        raise CarbonXmlError("%s cannot be decoded as %s, the encoding that lxml detected: %s. Make the XML "
                             "declaration name the encoding the file is written in." % (path, encoding, exc))


# ---------------------------------------------------------------------------
# Tree edits
# ---------------------------------------------------------------------------

def _is_element(node):
    return etree.iselement(node) and isinstance(node.tag, str)


def _clark_name(name, namespaces, label):
    """Turn 'prefix:local' or 'local' into lxml's '{uri}local' form, as XPath would match it."""
    match = _PLAIN_STEP_RE.match(name)
    prefix = match.group('prefix')
    if prefix is None:
        return match.group('local')
    if prefix not in namespaces:
        raise CarbonXmlError("%s: prefix %r is not in 'namespaces'. Add it, for example "
                             "namespaces: {%s: <namespace URI>}." % (label, prefix, prefix))
    return '{%s}%s' % (namespaces[prefix], match.group('local'))


def split_last_step(xpath):
    """Split an XPath at its last top-level '/' into (parent XPath, last step).

    Slashes inside predicates and quoted strings do not count. Returns (None, xpath) when the
    expression has no top-level '/'.
    """
    depth = 0
    quote = None
    split_at = None
    for index, char in enumerate(xpath):
        if quote:
            if char == quote:
                quote = None
        elif char in '\'"':
            quote = char
        elif char in '[(':
            depth += 1
        elif char in '])':
            depth -= 1
        elif char == '/' and depth == 0:
            split_at = index
    if split_at is None:
        return None, xpath
    return xpath[:split_at], xpath[split_at + 1:]


def _find_creation_parent(tree, edit, namespaces):
    """Return (parent element, Clark name) where a missing element of the edit's XPath belongs."""
    xpath = edit['xpath']
    parent_xpath, step = split_last_step(xpath.strip())
    if parent_xpath is None or not parent_xpath or parent_xpath.endswith('/') or not _PLAIN_STEP_RE.match(step):
        raise CarbonXmlError(
            "Edit %s matches nothing, and it cannot be created because its last step %r is not a plain element "
            "name under a parent path. Make the element exist first, or write the XPath as <parent path>/<name>."
            % (xpath, step))
    name = _clark_name(step, namespaces, 'Edit %s' % xpath)
    parents = _evaluate(tree, parent_xpath, namespaces, xpath)
    if not parents:
        raise CarbonXmlError("Edit %s matches nothing, and its parent %s is not in the file either. Create the "
                             "parent first or fix the XPath." % (xpath, parent_xpath))
    if len(parents) > 1:
        raise CarbonXmlError("Edit %s matches nothing, and its parent %s matches %d elements, so the place for "
                             "the new element is ambiguous. Narrow the parent path to one element."
                             % (xpath, parent_xpath, len(parents)))
    return parents[0], name


def _find_fragment_parent(tree, xpath, parent_xpath, namespaces):
    """Return the one element under which a fragment for an unmatched XPath with a predicate belongs."""
    if not parent_xpath or parent_xpath.endswith('/'):
        raise CarbonXmlError("Edit %s matches nothing, and it has no parent path to add the fragment under. Write "
                             "the XPath as <parent path>/<step>." % xpath)
    parents = _evaluate(tree, parent_xpath, namespaces, xpath)
    if len(parents) != 1:
        raise CarbonXmlError("Edit %s matches nothing, and its parent %s matches %d elements, so there is no one "
                             "place for the fragment. Make the parent path select exactly one element."
                             % (xpath, parent_xpath, len(parents)))
    return parents[0]


def _evaluate(context, xpath, namespaces, label):
    """Evaluate an XPath and return the matched elements, or raise CarbonXmlError."""
    try:
        result = context.xpath(xpath, namespaces=namespaces)
    except etree.XPathError as exc:
        raise CarbonXmlError("Edit %s: XPath %r cannot be evaluated: %s. Check its prefixes against "
                             "'namespaces'." % (label, xpath, exc))
    if not isinstance(result, list):
        raise CarbonXmlError("Edit %s: XPath %r returns %r, not elements. Write a path that selects elements."
                             % (label, xpath, result))
    for node in result:
        if not _is_element(node):
            raise CarbonXmlError("Edit %s: XPath %r matches %s, which is not an element. Select the element "
                                 "itself, and use 'attribute' to change one of its attributes."
                                 % (label, xpath, _describe_node(node)))
    return result


def _describe_node(node):
    if etree.iselement(node):
        return 'a comment or processing instruction'
    if getattr(node, 'is_attribute', False):
        return 'the attribute %s' % node.attrname
    if getattr(node, 'is_text', False) or getattr(node, 'is_tail', False):
        return 'the text %r' % str(node)
    return repr(node)


def _text_before(node):
    """Return the text between a node and its previous sibling (or its parent's start tag)."""
    previous = node.getprevious()
    if previous is not None:
        return previous.tail
    parent = node.getparent()
    return parent.text if parent is not None else None


def _set_text_before(node, text):
    previous = node.getprevious()
    if previous is not None:
        previous.tail = text
    else:
        node.getparent().text = text


def _indentation(whitespace):
    """Return the indentation at the end of whitespace that contains a line break, else None."""
    if whitespace is None or whitespace.strip() or '\n' not in whitespace:
        return None
    return whitespace.rsplit('\n', 1)[1]


def _reindent(element, indentation):
    """Shift the line-leading whitespace inside a fragment by the indentation of its new place."""
    if not indentation:
        return
    for node in element.iter():
        if _is_element(node) and _is_layout(node.text):
            node.text = node.text.replace('\n', '\n' + indentation)
        if node is not element and _is_layout(node.tail):
            node.tail = node.tail.replace('\n', '\n' + indentation)


def _is_layout(text):
    return text is not None and not text.strip() and '\n' in text


def _insert_child(parent, new, anchor):
    """Insert new under parent after anchor (default: the last child), matching the siblings' layout."""
    children = list(parent)
    if not children:
        text = parent.text
        if text is None or not text.strip():
            parent_indent = _indentation(_text_before(parent)) if parent.getparent() is not None else ''
            if parent_indent is not None:
                parent.text = '\n' + parent_indent + INDENT_UNIT
                new.tail = '\n' + parent_indent
        parent.append(new)
        return

    if anchor is None:
        anchor = children[-1]
    separator = _text_before(anchor)
    if _indentation(separator) is None:
        separator = None
    new.tail = anchor.tail
    if anchor.getnext() is None and separator is not None:
        anchor.tail = separator
    anchor.addnext(new)


def _parse_fragment(fragment, parent, label):
    """Parse an XML fragment in the namespace context of parent and return its root element.

    The fragment is wrapped in an element that declares parent's in-scope namespaces, so an
    unprefixed fragment under a namespaced parent lands in the parent's default namespace.
    """
    nsmap = dict(parent.nsmap) if parent is not None else {}
    declarations = ''.join(
        ' xmlns%s="%s"' % (':' + prefix if prefix else '', _escape_attribute(uri))
        for prefix, uri in sorted(nsmap.items(), key=lambda item: item[0] or ''))
    opening = '<carbon-xml-fragment%s>' % declarations
    wrapped = opening + fragment.strip() + '</carbon-xml-fragment>'
    try:
        wrapper = etree.fromstring(wrapped.encode('utf-8'), make_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        if line == 1:
            column = max(column - len(opening), 1)
        raise CarbonXmlError("%s: the 'element' fragment is not valid XML: %s (line %d, column %d of the "
                             "fragment). Fix the fragment." % (label, exc.msg, line, column))

    nodes = list(wrapper)
    elements = [node for node in nodes if _is_element(node)]
    stray_text = [text for text in [wrapper.text] + [node.tail for node in nodes] if text and text.strip()]
    if len(elements) != 1 or len(nodes) != 1 or stray_text:
        raise CarbonXmlError("%s: the 'element' fragment must contain exactly one root element and nothing "
                             "around it, but it contains %d elements, %d other nodes and %d pieces of text. "
                             "Wrap the content in one element or split it into several edits."
                             % (label, len(elements), len(nodes) - len(elements), len(stray_text)))
    element = elements[0]
    element.tail = None
    return element


def _same_subtree(first, second):
    """Return whether two nodes have the same name, attributes, text and children, ignoring their own tails."""
    if first.tag != second.tag or (first.text or '') != (second.text or ''):
        return False
    if dict(first.attrib) != dict(second.attrib) or len(first) != len(second):
        return False
    for child_a, child_b in zip(first, second):
        if (child_a.tail or '') != (child_b.tail or '') or not _same_subtree(child_a, child_b):
            return False
    return True


def _serialize_element(element):
    return etree.tostring(element, encoding='unicode', with_tail=False)


def _change(edit, action, old, new, count=1):
    return {
        'xpath': edit['xpath'],
        'attribute': edit['attribute'],
        'action': action,
        'old': old,
        'new': new,
        'count': count,
        'secret': edit['secret'],
    }


def _apply_value(tree, edit, namespaces, matches):
    """Set the text or attribute of every match, creating the element when nothing matches."""
    xpath = edit['xpath']
    attribute = edit['attribute']
    new_value = edit['value']
    attribute_name = _clark_name(attribute, namespaces, 'Edit %s' % xpath) if attribute else None

    if not matches:
        parent, name = _find_creation_parent(tree, edit, namespaces)
        anchor = _find_anchor(parent, edit, namespaces)
        element = parent.makeelement(name)
        if attribute_name:
            element.set(attribute_name, new_value)
        else:
            element.text = new_value
        _insert_child(parent, element, anchor)
        return _change(edit, 'created', None, new_value)

    changed = []
    for element in matches:
        if attribute_name:
            old_value = element.get(attribute_name)
            if old_value != new_value:
                element.set(attribute_name, new_value)
                changed.append(old_value)
            continue
        if any(_is_element(child) for child in element):
            raise CarbonXmlError("Edit %s: the matched element <%s> has child elements, so 'value' would mix text "
                                 "with them. Point the XPath at a leaf element, or use 'element' to replace the "
                                 "whole element." % (xpath, etree.QName(element).localname))
        old_value = element.text
        if (old_value or '') != new_value:
            element.text = new_value
            changed.append(old_value)
    if not changed:
        return None
    return _change(edit, 'updated', changed[0], new_value, len(changed))


def _apply_element(tree, edit, namespaces, matches):
    """Replace every match with the fragment, or add the fragment when nothing matches."""
    xpath = edit['xpath']
    if not matches:
        parent_xpath, step = split_last_step(xpath.strip())
        if _PLAIN_STEP_RE.match(step):
            parent, name = _find_creation_parent(tree, edit, namespaces)
        else:
            # A last step with a predicate, such as mount[@path='/_system/config'], is checked after the
            # insertion instead: the new element must then match the whole XPath.
            parent, name = _find_fragment_parent(tree, xpath, parent_xpath, namespaces), None
        new = _parse_fragment(edit['element'], parent, 'Edit %s' % xpath)
        if name is not None and new.tag != name:
            raise CarbonXmlError("Edit %s: the fragment's root element is %s, but the XPath's last step selects "
                                 "%s, so the next run would add the fragment again. Make them name the same "
                                 "element and namespace." % (xpath, new.tag, name))
        anchor = _find_anchor(parent, edit, namespaces)
        _insert_child(parent, new, anchor)
        _reindent(new, _indentation(_text_before(new)))
        if name is None and new not in _evaluate(tree, xpath, namespaces, xpath):
            raise CarbonXmlError("Edit %s: the fragment added under %s does not match the XPath, so the next run "
                                 "would add it again. Make the fragment's name, attributes or children satisfy "
                                 "the XPath's predicate." % (xpath, parent_xpath))
        return _change(edit, 'added', None, _serialize_element(new))

    replaced = []
    new_serialized = None
    for old in matches:
        parent = old.getparent()
        new = _parse_fragment(edit['element'], parent, 'Edit %s' % xpath)
        _reindent(new, _indentation(_text_before(old)) if parent is not None else None)
        if _same_subtree(old, new):
            continue
        replaced.append(_serialize_element(old))
        new_serialized = _serialize_element(new)
        if parent is None:
            tree._setroot(new)  # pylint: disable=protected-access
        else:
            new.tail = old.tail
            parent.replace(old, new)
    if not replaced:
        return None
    return _change(edit, 'replaced', replaced[0], new_serialized, len(replaced))


def _remove_element(element):
    """Remove element and move its closing indentation to the previous node, so the layout stays intact."""
    parent = element.getparent()
    tail = element.tail
    before = _text_before(element)
    if tail and tail.strip():
        _set_text_before(element, (before or '') + tail)
    elif element.getnext() is None and _indentation(before) is not None:
        _set_text_before(element, tail)
    parent.remove(element)


def _apply_absent(edit, namespaces, matches):
    xpath = edit['xpath']
    if edit['attribute']:
        attribute_name = _clark_name(edit['attribute'], namespaces, 'Edit %s' % xpath)
        removed = []
        for element in matches:
            if attribute_name in element.attrib:
                removed.append(element.attrib.pop(attribute_name))
        if not removed:
            return None
        return _change(edit, 'removed', removed[0], None, len(removed))

    removed = []
    for element in matches:
        if element.getparent() is None:
            raise CarbonXmlError("Edit %s matches the root element, which cannot be removed. Select an element "
                                 "inside it." % xpath)
        removed.append(_serialize_element(element))
        _remove_element(element)
    if not removed:
        return None
    return _change(edit, 'removed', removed[0], None, len(removed))


def _find_anchor(parent, edit, namespaces):
    """Return the child of parent named by insert_after, or None for "after the last child"."""
    if edit['insert_after'] is None:
        return None
    label = '%s insert_after' % edit['xpath']
    candidates = [node for node in _evaluate(parent, edit['insert_after'], namespaces, label)
                  if node.getparent() is parent]
    if not candidates:
        raise CarbonXmlError("Edit %s: insert_after %r matches no child of the parent element <%s>. Give an "
                             "XPath relative to the parent, such as 'c:HostName', or drop insert_after to add "
                             "the element last." % (edit['xpath'], edit['insert_after'],
                                                    etree.QName(parent).localname))
    return candidates[-1]


def apply_edits(tree, edits, namespaces):
    """Apply validated edits to an lxml tree in order and return one change record per edit that changed it."""
    changes = []
    for edit in edits:
        matches = _evaluate(tree, edit['xpath'], namespaces, edit['xpath'])
        if edit['state'] == 'absent':
            change = _apply_absent(edit, namespaces, matches)
        elif edit['element'] is not None:
            change = _apply_element(tree, edit, namespaces, matches)
        else:
            change = _apply_value(tree, edit, namespaces, matches)
        if change is not None:
            changes.append(change)
    return changes


# ---------------------------------------------------------------------------
# Serialization that keeps untouched text byte for byte
# ---------------------------------------------------------------------------

def _tokenize(text):
    """Split XML text into (kind, text) tokens, or return None when the text does not tokenize.

    A start tag followed directly by its end tag becomes one 'empty' token, because lxml
    writes such elements as '<name/>'.
    """
    tokens = []
    position = 0
    for match in _TOKEN_RE.finditer(text):
        if match.start() != position:
            return None
        position = match.end()
        kind = match.lastgroup
        piece = match.group(kind)
        if kind == 'start' and piece.endswith('/>'):
            kind = 'empty'
        if kind == 'end' and tokens and tokens[-1][0] == 'start':
            tokens[-1] = ('empty', tokens[-1][1] + piece)
            continue
        tokens.append((kind, piece))
    if position != len(text):
        return None
    return tokens


def _root_span(tokens):
    """Return (first, last + 1) token indexes of the root element."""
    depth = 0
    first = None
    for index, (kind, _piece) in enumerate(tokens):
        if kind not in ('start', 'empty', 'end'):
            continue
        if first is None:
            first = index
        if kind == 'start':
            depth += 1
        elif kind == 'end':
            depth -= 1
        if depth == 0:
            return first, index + 1
    return None


def _escape_attribute(value):
    return value.replace('&', '&amp;').replace('<', '&lt;').replace('"', '&quot;')


def _canonical(text, encoding):
    data = text.encode(encoding, 'xmlcharrefreplace')
    return etree.tostring(etree.ElementTree(etree.fromstring(data, make_parser())), method='c14n')


def _patch_text(original_root, before_root, after_root):
    """Apply the token difference between two lxml serializations to the original text.

    Tokens that lxml leaves unchanged are copied from the original, so layout inside start
    tags, quoting and character references stay as the file had them. Returns None when the
    original does not line up token for token with lxml's serialization of the same tree.
    """
    original = _tokenize(original_root)
    before = _tokenize(before_root)
    after = _tokenize(after_root)
    if original is None or before is None or after is None or len(original) != len(before):
        return None
    if any(kind_o != kind_b for (kind_o, _o), (kind_b, _b) in zip(original, before)):
        return None

    before_pieces = [piece for _kind, piece in before]
    after_pieces = [piece for _kind, piece in after]
    matcher = difflib.SequenceMatcher(None, before_pieces, after_pieces, autojunk=False)
    output = []
    for tag, b_start, b_end, a_start, a_end in matcher.get_opcodes():
        if tag == 'equal':
            output.extend(piece for _kind, piece in original[b_start:b_end])
        else:
            output.extend(after_pieces[a_start:a_end])
    return ''.join(output)


def serialize_document(original_text, before_root, tree, encoding):
    """Return the edited document text, copying every untouched part from original_text.

    before_root is lxml's serialization of the root element before the edits. The result is
    checked against lxml's own serialization and replaced by it if the two trees differ.
    """
    after_root = _serialize_element(tree.getroot())
    tokens = _tokenize(original_text)
    span = _root_span(tokens) if tokens is not None else None
    if span is None:
        raise CarbonXmlError("The file does not split into XML tokens as expected, so it cannot be rewritten "
                             "while keeping its layout.")
    prolog = ''.join(piece for _kind, piece in tokens[:span[0]])
    original_root = ''.join(piece for _kind, piece in tokens[span[0]:span[1]])
    epilog = ''.join(piece for _kind, piece in tokens[span[1]:])

    fallback = prolog + after_root + epilog
    patched_root = _patch_text(original_root, before_root, after_root)
    if patched_root is None:
        return fallback
    patched = prolog + patched_root + epilog
    try:
        if _canonical(patched, encoding) == _canonical(fallback, encoding):
            return patched
    except (etree.XMLSyntaxError, etree.C14NError, ValueError):
        pass
    return fallback


def edit_document(data, edits, namespaces, path):
    """Apply edits to the bytes of an XML file and return an EditOutcome.

    after_bytes is None when nothing changed. Raises CarbonXmlError for invalid input, before
    any file is touched.
    """
    namespaces = validate_namespaces(namespaces)
    edits = validate_edits(edits, namespaces)
    tree = parse_document(data, path)
    encoding = tree.docinfo.encoding or 'UTF-8'
    original_text, bom = _decode(data, encoding, path)

    before_root = _serialize_element(tree.getroot())
    try:
        changes = apply_edits(tree, edits, namespaces)
        if not changes:
            return EditOutcome(original_text, original_text, None, [])
        after_text = serialize_document(original_text, before_root, tree, encoding)
    except CarbonXmlError as exc:
        raise CarbonXmlError('%s: %s' % (path, exc))
    after_bytes = bom + after_text.encode(encoding, 'xmlcharrefreplace')
    return EditOutcome(original_text, after_text, after_bytes, changes)


# ---------------------------------------------------------------------------
# Backup permissions
# ---------------------------------------------------------------------------

def backup_mode(file_mode, existing_backup_mode=None):
    """Return the permission bits for the backup of a file whose mode after the task is file_mode.

    A new backup takes file_mode. An existing backup loses the bits that file_mode lacks and
    gains none, because it may hold the shipped passwords that the file's mode protects.
    """
    if existing_backup_mode is None:
        return file_mode
    return existing_backup_mode & file_mode


# ---------------------------------------------------------------------------
# Secret masking
# ---------------------------------------------------------------------------

def public_changes(changes):
    """Return the change records for the module result, with the values of secret edits masked."""
    public = []
    for change in changes:
        record = dict(change)
        if record['secret']:
            record['old'] = SECRET_MASK if record['old'] is not None else None
            record['new'] = SECRET_MASK if record['new'] is not None else None
        public.append(record)
    return public


def _fragment_values(serialized):
    """Return the non-blank texts and attribute values inside a serialized element."""
    try:
        element = etree.fromstring(serialized.encode('utf-8'), make_parser())
    except etree.XMLSyntaxError:
        return [serialized]
    values = []
    for node in element.iter():
        values.extend(value for value in node.attrib.values() if _is_element(node))
        if node.text and node.text.strip():
            values.append(node.text)
        if node is not element and node.tail and node.tail.strip():
            values.append(node.tail)
    return values


def secret_values(changes, edits=()):
    """Return the values of secret edits to hide from logs, both raw and as they appear in XML.

    changes contributes the old and new values that edit_document() found. edits contributes the
    requested values, so that they are hidden even when the file already had them.
    """
    values = set()
    for edit in edits:
        if not edit.get('secret'):
            continue
        if edit.get('element'):
            values.update(_fragment_values(edit['element']))
        elif edit.get('value') is not None and isinstance(edit['value'], (str, int, float)):
            values.add(value_to_text(edit['value'], edit.get('xpath')))
    for change in changes:
        if not change['secret']:
            continue
        for value in (change['old'], change['new']):
            if not value:
                continue
            if change['action'] in ('added', 'replaced') or (change['action'] == 'removed'
                                                             and change['attribute'] is None):
                values.update(_fragment_values(value))
            else:
                values.add(value)
    escaped = set()
    for value in values:
        escaped.add(value.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;'))
        escaped.add(_escape_attribute(value))
    return sorted((values | escaped) - {''}, key=len, reverse=True)


def mask_text(text, secrets):
    """Replace every secret string in text with SECRET_MASK, longest first."""
    for secret in secrets:
        text = text.replace(secret, SECRET_MASK)
    return text
