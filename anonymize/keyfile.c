#include "fremdrift/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MAX 4096
#define KEY_NEW_LEN 32

int keyfile_key_id(const unsigned char *key, size_t len,
		   char id[KEY_ID_LEN + 1])
{
	static const char label[] = "fremdrift/v1/key-id";
	unsigned char mac[PSEUD_LEN];
	struct pseud_ctx *ctx;
	int rc;

	if (pseud_ctx_new(key, len, &ctx, NULL) != 0)
		return FR_ECRYPTO;
	rc = pseud_mac(ctx, NULL, label, sizeof(label) - 1, mac);
	pseud_ctx_free(ctx);
	if (rc != 0)
		return rc;
	pseud_hex(mac, KEY_ID_LEN / 2, id);
	return 0;
}

void keyfile_wipe(struct pseud_key *key)
{
	OPENSSL_cleanse(key, sizeof(*key));
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int keyfile_generate(const char *path, char id_out[KEY_ID_LEN + 1],
		     struct fr_err *err)
{
	unsigned char key[KEY_NEW_LEN];
	char hex[2 * KEY_NEW_LEN + 1], id[KEY_ID_LEN + 1], text[512];
	size_t got = 0;
	int fd = -1, rc, n;

	while (got < sizeof(key)) {
		ssize_t r = getrandom(key + got, sizeof(key) - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = fr_err_set(err, FR_EKEY, NULL,
					"the system's random source failed: %s",
					strerror(errno));
			goto out;
		}
		got += (size_t)r;
	}
	if (keyfile_key_id(key, sizeof(key), id) != 0) {
		rc = fr_err_set(err, FR_ECRYPTO, NULL, "could not derive key id");
		goto out;
	}
	pseud_hex(key, sizeof(key), hex);
	n = snprintf(text, sizeof(text),
		     "# fremdrift pseudonym key. Keep it secret (mode 0600), "
		     "keep a safe backup,\n"
		     "# and never put it in the database or a repository.\n"
		     "fremdrift-key v1\nid %s\nkey %s\n",
		     id, hex);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = fr_err_set(err, FR_EKEY, "path",
				errno == EEXIST
					? "%s already exists; fremdrift never "
					  "overwrites a key (move it away first "
					  "if you really mean to replace it)"
					: "cannot create %s: %s",
				path, strerror(errno));
		goto out;
	}
	/* umask may have narrowed the mode; make sure it is exactly 0600. */
	if (fchmod(fd, 0600) != 0 || write_all(fd, text, (size_t)n) != 0 ||
	    fsync(fd) != 0) {
		rc = fr_err_set(err, FR_EKEY, "path", "cannot write %s: %s",
				path, strerror(errno));
		close(fd);
		fd = -1;
		unlink(path);
		goto out;
	}
	if (id_out)
		memcpy(id_out, id, sizeof(id));
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

/* Parses the text of a key file; the text holds the key in hex. */
static int parse_key_text(const char *path, char *text, struct pseud_key *key,
			  struct fr_err *err)
{
	char *save = NULL, *line, stored_id[KEY_ID_LEN + 1] = "";
	int have_magic = 0, have_key = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);

		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (strcmp(line, "fremdrift-key v1") == 0) {
			have_magic = 1;
		} else if (strncmp(line, "id ", 3) == 0 &&
			   len - 3 == KEY_ID_LEN) {
			memcpy(stored_id, line + 3, KEY_ID_LEN + 1);
		} else if (strncmp(line, "key ", 4) == 0) {
			size_t hexlen = len - 4;

			if (hexlen % 2 != 0 || hexlen / 2 > PSEUD_KEY_MAX ||
			    pseud_unhex(line + 4, hexlen, key->bytes,
					hexlen / 2) != 0)
				return fr_err_set(err, FR_EKEY, "key",
						  "%s: the key line is not an "
						  "even number of hex digits "
						  "(at most %d bytes)",
						  path, PSEUD_KEY_MAX);
			key->len = hexlen / 2;
			have_key = 1;
		} else {
			return fr_err_set(err, FR_EKEY, NULL,
					  "%s: unexpected line; is this a "
					  "fremdrift key file?",
					  path);
		}
	}
	if (!have_magic || !have_key)
		return fr_err_set(err, FR_EKEY, NULL,
				  "%s is not a fremdrift key file (make one "
				  "with `fremdrift keygen --out FILE`)",
				  path);
	if (key->len < PSEUD_KEY_MIN)
		return fr_err_set(err, FR_EKEY, "key",
				  "%s holds a key of %zu bytes; at least %d "
				  "are required (make a new one with "
				  "`fremdrift keygen --out FILE`)",
				  path, key->len, PSEUD_KEY_MIN);
	if (keyfile_key_id(key->bytes, key->len, key->id) != 0)
		return fr_err_set(err, FR_ECRYPTO, NULL,
				  "could not derive the key id");
	if (stored_id[0] != '\0' && strcmp(stored_id, key->id) != 0)
		return fr_err_set(err, FR_EKEY, "id",
				  "%s is damaged: its id line does not match "
				  "its key (restore it from the backup)",
				  path);
	return 0;
}

int keyfile_load(const char *path, struct pseud_key *key, struct fr_err *err)
{
	char text[KEY_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	memset(key, 0, sizeof(*key));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return fr_err_set(err, FR_EKEY, "path",
					  "key file %s does not exist; create "
					  "one with `fremdrift keygen --out "
					  "%s` and keep a backup",
					  path, path);
		return fr_err_set(err, FR_EKEY, "path",
				  "cannot open key file %s: %s", path,
				  strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fr_err_set(err, FR_EKEY, "path",
				  "key file %s is not a regular file", path);
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return fr_err_set(err, FR_EKEY, "mode",
				  "key file %s has mode %04o: it must be "
				  "readable only by its owner; fix it with "
				  "`chmod 600 %s`",
				  path, (unsigned)(st.st_mode & 07777), path);
	}
	while (got < KEY_FILE_MAX) {
		n = read(fd, text + got, KEY_FILE_MAX - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	text[got] = '\0';
	if (got == KEY_FILE_MAX || memchr(text, '\0', got) != NULL)
		rc = fr_err_set(err, FR_EKEY, NULL,
				"%s is not a fremdrift key file", path);
	else
		rc = parse_key_text(path, text, key, err);
	OPENSSL_cleanse(text, sizeof(text));
	if (rc != 0)
		keyfile_wipe(key);
	return rc;
}
