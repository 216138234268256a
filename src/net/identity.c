/* SPDX-License-Identifier: MIT */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "net/identity.h"
#include "net/tls.h"
#include "net/tls_int.h"
#include "util/xmalloc.h"

#define NET_ID_DAYS (100 * 36525 / 100) /* a hundred years */

/* SHA-256 of the certificate's DER SubjectPublicKeyInfo into fp. */
int
net_id_cert_fingerprint(X509 *cert, unsigned char *fp)
{
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int n, rc;

	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	if (n <= 0)
		return -1;
	rc = EVP_Digest(der, (size_t)n, fp, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	return rc == 1 && mdlen == NET_ID_FP_LEN ? 0 : -1;
}

/* "path: what" with OpenSSL's last reason when it has one. */
static void
net_id_fail(char *err, size_t errlen, const char *path, const char *what)
{
	unsigned long e = ERR_get_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (r != NULL)
		snprintf(err, errlen, "%s: %s (%s)", path, what, r);
	else
		snprintf(err, errlen, "%s: %s", path, what);
	ERR_clear_error();
}

/* Open an existing file without following a symbolic link. */
static FILE *
net_id_open_read(const char *path, bool key, char *err, size_t errlen)
{
	struct stat st;
	FILE *fp;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path,
		    errno == ELOOP ? "is a symbolic link, refused"
		                   : strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (key && (st.st_mode & 077) != 0) {
		snprintf(err, errlen,
		    "%s: mode %04o, a private key must be 0600 "
		    "(chmod 600 %s)",
		    path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return fp;
}

/* Create a new file with mode (never replacing one) for writing. */
static FILE *
net_id_open_new(const char *path, mode_t mode, char *err, size_t errlen)
{
	FILE *fp;
	int fd;

	fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fchmod(fd, mode) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return NULL;
	}
	return fp;
}

/* Close a file written; -1 (and the file removed) if anything failed. */
static int
net_id_close_new(FILE *fp, int ok, const char *path, char *err, size_t errlen)
{
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0)
		ok = 0;
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok) {
		net_id_fail(err, errlen, path, "cannot write");
		unlink(path);
		return -1;
	}
	return 0;
}

/* A self-signed certificate for key: CN, 100 years, random serial. */
static X509 *
net_id_self_sign(EVP_PKEY *key, const char *cn)
{
	unsigned char serial[16];
	X509 *x = X509_new();
	X509_NAME *name;
	BIGNUM *bn = NULL;
	int ok;

	RAND_bytes(serial, sizeof serial);
	serial[0] &= 0x7f; /* a positive serial */
	ok = x != NULL && X509_set_version(x, X509_VERSION_3) &&
	    (bn = BN_bin2bn(serial, sizeof serial, NULL)) != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
	    X509_time_adj_ex(X509_getm_notAfter(x), NET_ID_DAYS, 0, NULL) !=
	        NULL &&
	    (name = X509_get_subject_name(x)) != NULL &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	        (const unsigned char *)cn, -1, -1, 0) &&
	    X509_set_issuer_name(x, name) && X509_set_pubkey(x, key) &&
	    X509_sign(x, key, NULL) > 0;
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Write a new certificate file (0644) for id's key. */
static int
net_id_write_cert(struct net_id *id, const char *path, const char *cn,
    char *err, size_t errlen)
{
	FILE *fp;

	if ((id->cert = net_id_self_sign(id->key, cn)) == NULL) {
		net_id_fail(err, errlen, path, "cannot make a certificate");
		return -1;
	}
	if ((fp = net_id_open_new(path, 0644, err, errlen)) == NULL)
		return -1;
	return net_id_close_new(
	    fp, PEM_write_X509(fp, id->cert), path, err, errlen);
}

/* Make a new Ed25519 key and write it (PKCS#8 PEM, 0600). */
static int
net_id_write_key(struct net_id *id, const char *path, char *err, size_t errlen)
{
	FILE *fp;

	if ((id->key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
		net_id_fail(err, errlen, path, "cannot make an Ed25519 key");
		return -1;
	}
	if ((fp = net_id_open_new(path, 0600, err, errlen)) == NULL)
		return -1;
	return net_id_close_new(fp,
	    PEM_write_PrivateKey(fp, id->key, NULL, NULL, 0, NULL, NULL), path,
	    err, errlen);
}

/*
 * OpenSSL asks for a pass phrase when a key is encrypted: never prompt on
 * the terminal (the relay runs as a service); note it for the error.
 */
static int
net_id_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(bool *)arg = true;
	return -1;
}

/* Read a key (0600 only) or, with key false, a certificate into id. */
static int
net_id_read(
    struct net_id *id, const char *path, bool key, char *err, size_t errlen)
{
	FILE *fp;
	bool encrypted = false;

	if ((fp = net_id_open_read(path, key, err, errlen)) == NULL)
		return -1;
	if (key)
		id->key = PEM_read_PrivateKey(
		    fp, NULL, net_id_no_passphrase, &encrypted);
	else
		id->cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (key ? id->key == NULL : id->cert == NULL) {
		net_id_fail(err, errlen, path,
		    encrypted ? "an encrypted key; give a key without a pass "
		                "phrase (openssl pkey -in KEY -out NEW)"
		        : key ? "not a PEM private key"
		              : "not a PEM certificate");
		return -1;
	}
	return 0;
}

/* Check that the pair belongs together and take the fingerprint. */
static int
net_id_finish(struct net_id *id, const char *certpath, char *err, size_t errlen)
{
	if (X509_check_private_key(id->cert, id->key) != 1) {
		net_id_fail(
		    err, errlen, certpath, "certificate is not for this key");
		return -1;
	}
	if (net_id_cert_fingerprint(id->cert, id->fp) == -1) {
		net_id_fail(err, errlen, certpath, "cannot take fingerprint");
		return -1;
	}
	return 0;
}

/*
 * Load or, on first start, make the identity dir/keyname + dir/certname
 * (the folder is made 0700 if missing). A new key is Ed25519, written
 * 0600 with O_CREAT|O_EXCL|O_NOFOLLOW; a missing certificate is made for
 * the key (self-signed, subject CN = cn, 100 years). Nothing existing is
 * ever overwritten: a key file that is a symbolic link, or readable by
 * group or others, is refused, and so is a certificate without its key.
 * NULL with the reason (naming the file) in err.
 */
struct net_id *
net_id_open(const char *dir, const char *keyname, const char *certname,
    const char *cn, char *err, size_t errlen)
{
	struct net_id *id = xcalloc(1, sizeof *id);
	char kp[4096], cp[4096];
	struct stat st;
	int rc;

	snprintf(kp, sizeof kp, "%s/%s", dir, keyname);
	snprintf(cp, sizeof cp, "%s/%s", dir, certname);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		net_id_free(id);
		return NULL;
	}
	if (lstat(kp, &st) == -1 && errno == ENOENT) {
		if (lstat(cp, &st) == 0) {
			snprintf(err, errlen,
			    "%s: certificate without its key %s; move it "
			    "away to make a new identity",
			    cp, kp);
			rc = -1;
		} else
			rc = net_id_write_key(id, kp, err, errlen);
	} else
		rc = net_id_read(id, kp, true, err, errlen);
	if (rc == 0) {
		if (lstat(cp, &st) == -1 && errno == ENOENT)
			rc = net_id_write_cert(id, cp, cn, err, errlen);
		else
			rc = net_id_read(id, cp, false, err, errlen);
	}
	if (rc == 0)
		rc = net_id_finish(id, cp, err, errlen);
	if (rc == -1) {
		net_id_free(id);
		return NULL;
	}
	return id;
}

/*
 * Load a given pair (a CA-signed certificate and its key, --cert/--key);
 * the key file must not be readable by group or others.
 */
struct net_id *
net_id_load(const char *keypath, const char *certpath, char *err, size_t errlen)
{
	struct net_id *id = xcalloc(1, sizeof *id);

	if (net_id_read(id, keypath, true, err, errlen) == -1 ||
	    net_id_read(id, certpath, false, err, errlen) == -1 ||
	    net_id_finish(id, certpath, err, errlen) == -1) {
		net_id_free(id);
		return NULL;
	}
	return id;
}

/* Free an identity. */
void
net_id_free(struct net_id *id)
{
	if (id == NULL)
		return;
	EVP_PKEY_free(id->key);
	X509_free(id->cert);
	free(id);
}

/* The 32-byte fingerprint of the identity's certificate. */
const unsigned char *
net_id_fingerprint(const struct net_id *id)
{
	return id->fp;
}
