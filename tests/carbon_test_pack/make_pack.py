"""Build Carbon test packs: test doubles of WSO2 Carbon 4.4 product zips.

A pack has the folder layout, configuration files and start script of a Carbon 4.4 product, and
runs the small Python server in carbon_test_server/ in place of the Java server. The zip bytes
depend only on the arguments and on the files beside this script, so its SHA-256 is stable.

Usage: python3 make_pack.py --product wso2as --version 5.3.0 --output-dir DIR [--without-worker-profile]
"""

import argparse
import hashlib
import json
import os
import pathlib
import re
import sys
import tempfile
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
SERVER_PACKAGE = HERE / "carbon_test_server"

# Product key: (display name without "WSO2 ", carbon.xml ServerKey).
PRODUCTS = {
    "wso2am": ("API Manager", "AM"),
    "wso2as": ("Application Server", "AS"),
    "wso2bam": ("Business Activity Monitor", "BAM"),
    "wso2bps": ("Business Process Server", "BPS"),
    "wso2brs": ("Business Rules Server", "BRS"),
    "wso2cep": ("Complex Event Processor", "CEP"),
    "wso2das": ("Data Analytics Server", "DAS"),
    "wso2dss": ("Data Services Server", "DSS"),
    "wso2es": ("Enterprise Store", "ES"),
    "wso2esb": ("Enterprise Service Bus", "ESB"),
    "wso2greg": ("Governance Registry", "GReg"),
    "wso2is": ("Identity Server", "IS"),
    "wso2mb": ("Message Broker", "MB"),
    "wso2ts": ("Task Server", "TS"),
}

# Products whose axis2.xml has the PassThrough transports on 8280/8243.
PASSTHROUGH_PRODUCTS = frozenset({"wso2am", "wso2esb"})

# Products that ship repository/conf/etc/tasks-config.xml.
TASK_SERVER_PRODUCTS = frozenset({"wso2bps", "wso2ts"})

VERSION_PATTERN = re.compile(r"^\d+(\.\d+){1,3}$")

# Every zip entry gets this modification time, so equal inputs give equal bytes.
ZIP_TIMESTAMP = (2016, 1, 1, 0, 0, 0)

# Template path under templates/ -> path inside the product home.
CONF_FILES = {
    "conf/axis2/axis2.xml": "repository/conf/axis2/axis2.xml",
    "conf/carbon.xml": "repository/conf/carbon.xml",
    "conf/tomcat/catalina-server.xml": "repository/conf/tomcat/catalina-server.xml",
    "conf/registry.xml": "repository/conf/registry.xml",
    "conf/user-mgt.xml": "repository/conf/user-mgt.xml",
    "conf/datasources/master-datasources.xml": "repository/conf/datasources/master-datasources.xml",
    "dbscripts/mysql.sql": "dbscripts/mysql.sql",
    "webapps/carbon-test-sample/index.html": "repository/deployment/server/webapps/carbon-test-sample/index.html",
    "TEST-PACK.txt": "TEST-PACK.txt",
}

# Folders that exist in every pack even when empty.
EMPTY_FOLDERS = (
    "repository/components/dropins",
    "repository/components/lib",
    "repository/database",
    "repository/deployment/server/axis2services",
    "repository/logs",
    "tmp",
)

PROFILE_MARKER = (
    "Carbon test pack: marker of the {profile} OSGi profile.\n"
    "The test pack server checks that repository/components/{profile} exists before it starts\n"
    "with -DworkerNode=true, as the Carbon launcher does.\n"
)

MODE_FILE = 0o644
MODE_EXECUTABLE = 0o755
MODE_PRIVATE = 0o600
MODE_FOLDER = 0o755


def display_name(product):
    """Return the product's name as bin/version.txt and carbon.xml write it."""
    return "WSO2 " + PRODUCTS[product][0]


def _render(template_path, substitutions):
    text = (TEMPLATES / template_path).read_text(encoding="utf-8")
    for name, value in substitutions.items():
        text = text.replace("@@" + name + "@@", value)
    if "@@" in text:
        raise RuntimeError("template %s has a placeholder without a value" % template_path)
    return text.encode("utf-8")


def _pack_files(product, version, worker_profile):
    """Return a dict of path inside the product home -> (bytes, mode)."""
    name = display_name(product)
    receivers = "axis2-passthrough-receivers.xml" if product in PASSTHROUGH_PRODUCTS else "axis2-servlet-receivers.xml"
    substitutions = {
        "DISPLAY_NAME": name,
        "VERSION": version,
        "PRODUCT": product,
        "SERVER_KEY": PRODUCTS[product][1],
        "TRANSPORT_RECEIVERS": (TEMPLATES / "snippets" / receivers).read_text(encoding="utf-8").rstrip("\n"),
    }

    files = {}
    for template_path, pack_path in CONF_FILES.items():
        files[pack_path] = (_render(template_path, substitutions), MODE_FILE)
    if product in TASK_SERVER_PRODUCTS:
        files["repository/conf/etc/tasks-config.xml"] = (_render("conf/etc/tasks-config.xml", substitutions), MODE_FILE)

    files["bin/wso2server.sh"] = (_render("bin/wso2server.sh", substitutions), MODE_EXECUTABLE)
    files["bin/version.txt"] = (("%s v%s\n" % (name, version)).encode("utf-8"), MODE_FILE)

    files["repository/resources/security/carbon-test-pack.crt"] = (
        (TEMPLATES / "security" / "carbon-test-pack.crt").read_bytes(), MODE_FILE)
    files["repository/resources/security/carbon-test-pack.key"] = (
        (TEMPLATES / "security" / "carbon-test-pack.key").read_bytes(), MODE_PRIVATE)

    if product in PASSTHROUGH_PRODUCTS:
        files["repository/deployment/server/synapse-configs/default/TEST-PACK.txt"] = (
            b"Carbon test pack: the mediation configuration folder, empty in the test pack.\n", MODE_FILE)

    profiles = ["default", "worker"] if worker_profile else ["default"]
    for profile in profiles:
        marker = PROFILE_MARKER.format(profile=profile).encode("utf-8")
        files["repository/components/%s/TEST-PACK-PROFILE.txt" % profile] = (marker, MODE_FILE)

    for source in sorted(SERVER_PACKAGE.glob("*.py")):
        files["lib/carbon-test-pack/carbon_test_server/" + source.name] = (source.read_bytes(), MODE_FILE)
    metadata = {"product": product, "display_name": name, "version": version}
    files["lib/carbon-test-pack/pack.json"] = ((json.dumps(metadata, indent=2, sort_keys=True) + "\n").encode("utf-8"), MODE_FILE)
    return files


def _folders(paths):
    folders = set(EMPTY_FOLDERS)
    for path in paths:
        parent = pathlib.PurePosixPath(path).parent
        while str(parent) != ".":
            folders.add(str(parent))
            parent = parent.parent
    return folders


def _write_zip(zip_path, top, files, folders):
    entries = [(folder + "/", None, MODE_FOLDER) for folder in folders]
    entries += [(path, content, mode) for path, (content, mode) in files.items()]
    entries.sort(key=lambda entry: entry[0])

    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr(_zip_info(top + "/", MODE_FOLDER, folder=True), b"")
        for path, content, mode in entries:
            if content is None:
                archive.writestr(_zip_info(top + "/" + path, mode, folder=True), b"")
            else:
                archive.writestr(_zip_info(top + "/" + path, mode, folder=False), content)


def _zip_info(name, mode, folder):
    info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
    info.create_system = 3  # Unix, so unzip applies the modes below
    # Stored, not deflated: the bytes then do not depend on the zlib version.
    info.compress_type = zipfile.ZIP_STORED
    if folder:
        info.external_attr = ((0o040000 | mode) << 16) | 0x10  # S_IFDIR and the MS-DOS folder flag
    else:
        info.external_attr = (0o100000 | mode) << 16  # S_IFREG
    return info


def build_pack(product, version, output_dir, worker_profile=True):
    """Write <output_dir>/<product>-<version>.zip and return its path.

    Raises ValueError for an unknown product or a malformed version.
    """
    if product not in PRODUCTS:
        raise ValueError("unknown product %r: use one of %s" % (product, ", ".join(sorted(PRODUCTS))))
    if not VERSION_PATTERN.match(version):
        raise ValueError("invalid version %r: use digits separated by dots, for example 5.3.0" % version)

    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    top = "%s-%s" % (product, version)
    zip_path = output_dir / (top + ".zip")

    files = _pack_files(product, version, worker_profile)
    folders = _folders(files)
    # Write beside the target, then rename, so a reader never sees a partial zip.
    handle, temporary = tempfile.mkstemp(prefix="." + top + "-", suffix=".zip", dir=output_dir)
    os.close(handle)
    try:
        _write_zip(temporary, top, files, folders)
        os.chmod(temporary, 0o644)
        os.replace(temporary, zip_path)
    except BaseException:
        os.unlink(temporary)
        raise
    return zip_path


def sha256_of(path):
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build a Carbon test pack: a test double of a WSO2 Carbon 4.4 product zip.")
    parser.add_argument("--product", required=True, help="product key, one of: %s" % ", ".join(sorted(PRODUCTS)))
    parser.add_argument("--version", required=True, help="product version, for example 5.3.0")
    parser.add_argument("--output-dir", required=True, help="folder for <product>-<version>.zip; created when missing")
    parser.add_argument("--without-worker-profile", action="store_true",
                        help="leave out repository/components/worker, as in a product without the worker profile")
    args = parser.parse_args(argv)

    try:
        zip_path = build_pack(args.product, args.version, args.output_dir, worker_profile=not args.without_worker_profile)
    except ValueError as error:
        parser.error(str(error))
    print("%s  %s" % (sha256_of(zip_path), zip_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
