#pragma once
#define CK_VERSION "0.1.0"
