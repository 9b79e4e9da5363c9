/* JSON Schemas compiled into the binary from the files in schemas/ (see
 * Makefile.am), so the files stay the one source of the contract. */
#ifndef DSR_SCHEMAS_H
#define DSR_SCHEMAS_H 1

/* schemas/config.schema.json: dsrd's configuration file. */
extern const char dsr_config_schema[];

#endif /* schemas/schemas.h */
