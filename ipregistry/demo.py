"""Generate the demo registry: issuers, financials, IP assets, valuations, licences, pledges.

The data is calibrated on the reference market facts: Chinese issuers spread over provinces with
Guangdong first, SMEs the most numerous, the originators of known IP ABS deals among them;
patents the main asset kind, about a quarter of them green; appraisers of one asset disagreeing
by over 30 % for about one asset in three; at issuers that joined a financing, R&D intensity
up 2-5 pp and employment growing about 15 % faster than industry over the two years around it,
and, at new-energy ones, carbon-reduction R&D up about 18 %.

`plan_registry` is pure: one random.Random seed and one as-of date give one plan. `load_demo`
creates the demo logins and writes the plan through the registry services. Identifiers carry
valid check characters around random bodies, so none is a real company's identifier (the
issuers that bear real names get invented identifiers too).
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from core import two_factor
from core.choices import Role
from core.models import User
from ipregistry import identifiers, services
from ipregistry.choices import AssetKind, AssetStatus, IssuerType, MembershipRole, ValuationMethod

DEMO_PASSWORD = "ipsec-demo-2026"
DEFAULT_SEED = 2026

# Financials, valuations and royalty receipts cover these years.
FIRST_YEAR, LAST_YEAR = 2019, 2025
RECEIPTS_FROM = 2021
# The market study's finding: about one asset in three is appraised over 30 % apart.
DISPERSED_SHARE = 0.35

INV, UM, DES = AssetKind.INVENTION_PATENT, AssetKind.UTILITY_MODEL, AssetKind.DESIGN_PATENT
TM, SW = AssetKind.TRADEMARK, AssetKind.COPYRIGHT_SOFTWARE
FILM, MUSIC, WORK = AssetKind.COPYRIGHT_FILM, AssetKind.COPYRIGHT_MUSIC, AssetKind.COPYRIGHT_OTHER
DATA, SECRET = AssetKind.DATA_ASSET, AssetKind.TRADE_SECRET
SME, LARGE, UNI = IssuerType.SME, IssuerType.LARGE, IssuerType.UNIVERSITY
INST, PERSON = IssuerType.RESEARCH_INSTITUTE, IssuerType.INDIVIDUAL
FIN = IssuerType.FINANCIAL_INTERMEDIARY


@dataclass(frozen=True)
class IssuerProfile:
    """One row of the ISSUERS table."""

    name: str
    issuer_type: str
    country: str
    province: str
    city: str
    division: str  # GB/T 2260 code: in a Chinese USCC and in CNIPA pledge numbers
    sector: str
    brand: str
    founded: int | None


# Real names are the originators of the reference deals; every other entity is invented.
ISSUERS = [IssuerProfile(*row) for row in (
    ("Shenzhen Pengcheng Lithium Power Technology Co., Ltd.", SME, "CN", "CN-GD", "Shenzhen",
     "440300", "new_energy", "Pengcheng", 2013),
    ("Shenzhen Lanxin Photovoltaic Materials Co., Ltd.", SME, "CN", "CN-GD", "Shenzhen",
     "440300", "new_energy", "Lanxin", 2016),
    ("Shenzhen Haohang Robotics Co., Ltd.", SME, "CN", "CN-GD", "Shenzhen", "440300",
     "manufacturing", "Haohang", 2015),
    ("Shenzhen Xinrui Microelectronics Co., Ltd.", SME, "CN", "CN-GD", "Shenzhen", "440300",
     "electronics", "Xinrui", 2017),
    ("Shenzhen Yikang Medical Technology Co., Ltd.", SME, "CN", "CN-GD", "Shenzhen", "440300",
     "biomedicine", "Yikang", 2014),
    ("Shenzhen Qiantu Data Services Co., Ltd.", SME, "CN", "CN-GD", "Shenzhen", "440300",
     "data", "Qiantu", 2018),
    ("Shenzhen Xiaolong Animation Culture Co., Ltd.", SME, "CN", "CN-GD", "Shenzhen", "440300",
     "digital_content", "Xiaolong", 2012),
    ("Guangzhou Huiyao Biopharma Co., Ltd.", SME, "CN", "CN-GD", "Guangzhou", "440100",
     "biomedicine", "Huiyao", 2011),
    ("Guangzhou Lingnan Herbal Beverage Co., Ltd.", SME, "CN", "CN-GD", "Guangzhou", "440100",
     "agrifood", "Lingnan", 2004),
    ("Foshan Shunde Home Appliance Co., Ltd.", LARGE, "CN", "CN-GD", "Foshan", "440606",
     "manufacturing", "Shunde", 1998),
    ("Guangdong Institute of Advanced Energy Storage", INST, "CN", "CN-GD", "Guangzhou",
     "440100", "new_energy", "GIAES", 2017),
    ("Guangzhou Kaide Financial Leasing Co., Ltd.", FIN, "CN", "CN-GD", "Guangzhou", "440100",
     "finance", "Kaide", None),
    ("Shenzhen Hi-Tech Investment Group Co., Ltd.", FIN, "CN", "CN-GD", "Shenzhen", "440300",
     "finance", "Hi-Tech Investment", None),
    ("Beijing Mingjing Vision Technology Co., Ltd.", SME, "CN", "CN-BJ", "Beijing", "110108",
     "software", "Mingjing", 2016),
    ("Beijing Jinghua Pictures Co., Ltd.", LARGE, "CN", "CN-BJ", "Beijing", "110105", "film",
     "Jinghua", 2006),
    ("Beijing Institute of Frontier Materials", INST, "CN", "CN-BJ", "Beijing", "110108",
     "materials", "BIFM", 2003),
    ("Jingxi Polytechnic University", UNI, "CN", "CN-BJ", "Beijing", "110108", "electronics",
     "Jingxi", 1958),
    ("Beijing Cultural Technology Financial Leasing Co., Ltd.", FIN, "CN", "CN-BJ", "Beijing",
     "110105", "culture_finance", "Wenke", None),
    ("Zhongguancun Technology Leasing Co., Ltd.", FIN, "CN", "CN-BJ", "Beijing", "110108",
     "finance", "ZGC Leasing", None),
    ("Shanghai Zhangjiang Antibody Biotech Co., Ltd.", SME, "CN", "CN-SH", "Shanghai", "310115",
     "biomedicine", "Zhangbio", 2015),
    ("Shanghai Lingang Hydrogen Energy Technology Co., Ltd.", SME, "CN", "CN-SH", "Shanghai",
     "310115", "new_energy", "Lingang H2", 2019),
    ("Shanghai Puchuang Longke Financial Leasing Co., Ltd.", FIN, "CN", "CN-SH", "Shanghai",
     "310115", "finance", "Puchuang", None),
    ("Hangzhou Yunqi Data Intelligence Co., Ltd.", SME, "CN", "CN-ZJ", "Hangzhou", "330100",
     "data", "Yunqi", 2017),
    ("Ningbo Donghai Magnetic Materials Co., Ltd.", SME, "CN", "CN-ZJ", "Ningbo", "330200",
     "materials", "Donghai", 2008),
    ("Ningbo Guofu Commercial Factoring Co., Ltd.", FIN, "CN", "CN-ZJ", "Ningbo", "330200",
     "finance", "Guofu", None),
    ("Suzhou Jinjihu Nanotechnology Co., Ltd.", SME, "CN", "CN-JS", "Suzhou", "320500",
     "materials", "Jinjihu", 2013),
    ("Chen Jianguo", PERSON, "CN", "CN-JS", "Suzhou", "320500", "manufacturing", "Jianguo",
     None),
    ("Changsha Xiangjiang Construction Machinery Intelligence Co., Ltd.", SME, "CN", "CN-HN",
     "Changsha", "430100", "manufacturing", "Xiangjiang", 2011),
    ("Changsha Yuelu Seed Technology Co., Ltd.", SME, "CN", "CN-HN", "Changsha", "430100",
     "agrifood", "Yuelu", 2007),
    ("Wuhan Guanggu Laser Technology Co., Ltd.", SME, "CN", "CN-HB", "Wuhan", "420100",
     "electronics", "Guanggu", 2010),
    ("Chengdu Rongcheng Music Culture Co., Ltd.", SME, "CN", "CN-SC", "Chengdu", "510100",
     "music", "Rongcheng", 2015),
    ("Xi'an Qinling Aerospace Materials Co., Ltd.", SME, "CN", "CN-SN", "Xi'an", "610100",
     "materials", "Qinling", 2009),
    ("Royalty Pharma", LARGE, "US", "US-NY", "New York", "", "biomedicine", "Royalty Pharma",
     1996),
    ("Yale University", UNI, "US", "US-CT", "New Haven", "", "biomedicine", "Yale", 1701),
    ("Guess? Inc.", LARGE, "US", "US-CA", "Los Angeles", "", "consumer", "Guess", 1981),
    ("Concord", LARGE, "US", "US-TN", "Nashville", "", "music", "Concord", None),
    ("DreamWorks SKG", LARGE, "US", "US-CA", "Glendale", "", "film", "DreamWorks", 1994),
    ("Thames Valley Biologics Ltd", SME, "GB", "GB-OXF", "Oxford", "", "biomedicine",
     "Thames Valley", 2012),
    ("Rheinwind Anlagentechnik GmbH", LARGE, "DE", "DE-NW", "Duisburg", "", "new_energy",
     "Rheinwind", 1999),
    ("Institut Lumière Photonique", INST, "FR", "FR-IDF", "Palaiseau", "", "electronics",
     "Lumière", 1994),
    ("Kansai Seimitsu Optics K.K.", LARGE, "JP", "JP-27", "Osaka", "", "electronics",
     "Kansai Seimitsu", 1987),
    ("Hanbit Battery Materials Co., Ltd.", LARGE, "KR", "KR-41", "Suwon", "", "new_energy",
     "Hanbit", 2003),
)]

SHOWCASE_ISSUER = "Shenzhen Pengcheng Lithium Power Technology Co., Ltd."
SECOND_ISSUER = "Beijing Mingjing Vision Technology Co., Ltd."

DEMO_USERS = (
    # username, platform role, issuer it belongs to, membership role, staff and superuser
    ("demo-issuer", Role.ISSUER, SHOWCASE_ISSUER, MembershipRole.APPROVER, False),
    ("demo-issuer-2", Role.ISSUER, SECOND_ISSUER, MembershipRole.APPROVER, False),
    ("demo-preparer", Role.ISSUER, SHOWCASE_ISSUER, MembershipRole.PREPARER, False),
    ("demo-regulator", Role.REGULATOR, None, None, False),
    ("demo-investor", Role.INVESTOR, None, None, False),
    ("demo-admin", Role.INVESTOR, None, None, True),
)

SECTOR_LABELS = {
    "new_energy": "New energy", "biomedicine": "Biomedicine",
    "electronics": "Electronics and semiconductors", "software": "Software and AI",
    "data": "Data services", "manufacturing": "Advanced manufacturing",
    "materials": "New materials", "agrifood": "Agriculture and food", "film": "Film and television",
    "music": "Music", "digital_content": "Animation and games", "consumer": "Consumer brands",
    "finance": "IP finance (leasing, factoring, microcredit)",
    "culture_finance": "Cultural IP finance leasing",
}

# Asset kinds per sector with weights; an issuer's first asset is of the first kind.
KIND_MIX = {
    "new_energy": {INV: 50, UM: 28, DES: 6, TM: 6, SW: 6, DATA: 2, SECRET: 2},
    "biomedicine": {INV: 65, UM: 12, TM: 10, SECRET: 6, DATA: 4, DES: 3},
    "electronics": {INV: 50, UM: 25, DES: 10, TM: 5, SW: 8, SECRET: 2},
    "software": {SW: 40, INV: 30, DATA: 15, TM: 10, SECRET: 5},
    "data": {DATA: 45, SW: 30, INV: 15, TM: 5, SECRET: 5},
    "manufacturing": {UM: 35, INV: 35, DES: 18, TM: 6, SW: 6},
    "materials": {INV: 60, UM: 25, SECRET: 10, TM: 5},
    "agrifood": {TM: 30, INV: 25, SECRET: 20, UM: 10, DES: 8, DATA: 7},
    "film": {FILM: 70, TM: 15, WORK: 15},
    "music": {MUSIC: 80, TM: 10, WORK: 10},
    "digital_content": {WORK: 35, SW: 35, TM: 20, FILM: 10},
    "consumer": {TM: 50, DES: 30, WORK: 8, UM: 7, INV: 5},
    # Leasing companies hold title to the IP they lease back to SMEs.
    "finance": {INV: 55, UM: 25, SW: 15, TM: 5},
    "culture_finance": {FILM: 35, WORK: 25, SW: 20, MUSIC: 10, INV: 10},
}
# Sectors without patent titles of their own borrow those of the sectors listed.
PATENT_SECTORS = {
    "data": ("software",), "film": ("software",), "music": ("software",),
    "digital_content": ("software",), "culture_finance": ("software",),
    "finance": ("new_energy", "biomedicine", "electronics", "software", "manufacturing",
                "materials"),
}

# Invention patents: title, CPC codes, IPC codes (some IPC codes are in the Green Inventory).
INVENTIONS = {
    "new_energy": [
        ("Perovskite tandem solar cell with passivated interface",
         ["H10K 30/57", "Y02E 10/549"], ["H01L 31/078"]),
        ("Lithium iron phosphate battery thermal management method",
         ["H01M 10/613", "Y02E 60/10"], ["H01M 10/613"]),
        ("Silicon-carbon composite anode material and preparation method",
         ["H01M 4/386", "Y02E 60/10"], ["H01M 4/38"]),
        ("Battery state-of-health estimation method based on incremental capacity",
         ["G01R 31/392", "Y02T 10/70"], ["G01R 31/392"]),
        ("Bidirectional vehicle-to-grid charging control method",
         ["B60L 53/63", "Y02T 90/12", "Y04S 10/126"], ["B60L 53/63"]),
        ("Maximum power point tracking method for photovoltaic inverters",
         ["H02J 3/381", "Y02E 10/56"], ["H02M 7/48"]),
        ("Wind turbine blade de-icing system and control method",
         ["F03D 80/40", "Y02E 10/72"], ["F03D 80/40"]),
        ("Energy storage dispatching method for microgrids",
         ["H02J 3/32", "Y04S 10/123"], ["H02J 3/32"]),
        ("Proton exchange membrane fuel cell bipolar plate",
         ["H01M 8/0206", "Y02E 60/50"], ["H01M 8/0206"]),
        ("Alkaline water electrolyser for green hydrogen production",
         ["C25B 1/04", "Y02E 60/36"], ["C25B 1/04"]),
        ("Sodium-ion battery layered oxide cathode material",
         ["H01M 4/525", "Y02E 60/10"], ["H01M 4/525"]),
        ("Cathode material recovery process for spent lithium batteries",
         ["H01M 10/54", "Y02W 30/84"], ["H01M 10/54"]),
        ("Electrolyte additive for high-voltage lithium cells", ["H01M 10/0567"],
         ["H01M 10/0567"]),
    ],
    "biomedicine": [
        ("Monoclonal antibody purification process", ["C07K 1/22", "C07K 16/00"],
         ["C07K 1/22"]),
        ("Humanized anti-PD-1 antibody and use thereof", ["C07K 16/2818", "A61P 35/00"],
         ["C07K 16/28"]),
        ("Lipid nanoparticle formulation for mRNA delivery", ["A61K 9/5123", "A61K 48/0033"],
         ["A61K 9/51"]),
        ("Sustained-release microsphere injection and preparation method", ["A61K 9/1647"],
         ["A61K 9/16"]),
        ("Nucleoside analogue with antiviral activity", ["C07H 19/06", "A61P 31/18"],
         ["C07H 19/06"]),
        ("Method for preparing CAR-T cells with improved persistence", ["C12N 5/0636"],
         ["C12N 5/0783"]),
        ("Kinase inhibitor crystal form and pharmaceutical composition",
         ["C07D 401/14", "A61P 35/00"], ["C07D 401/14"]),
        ("Continuous glucose monitoring sensor with enzyme membrane", ["A61B 5/14532"],
         ["A61B 5/145"]),
        ("Surgical robot instrument arm with force feedback", ["A61B 34/30"], ["A61B 34/30"]),
        ("Fermentation process for recombinant human collagen", ["C12P 21/02", "C07K 14/78"],
         ["C12P 21/02"]),
        ("Biogas recovery from pharmaceutical fermentation wastewater",
         ["C02F 3/28", "Y02E 50/30"], ["C02F 3/28"]),
    ],
    "electronics": [
        ("Silicon carbide MOSFET with trench gate structure", ["H01L 29/7813", "H01L 29/1608"],
         ["H01L 29/78"]),
        ("Gallium nitride power device epitaxial structure", ["H01L 29/2003"], ["H01L 29/20"]),
        ("Micro-LED display mass transfer method", ["H01L 25/0753", "H01L 33/0095"],
         ["H01L 33/00"]),
        ("Low-power wake-up receiver for IoT terminals", ["H04W 52/0229", "Y02D 30/70"],
         ["H04W 52/02"]),
        ("Liquid cooling control method for data-centre servers",
         ["H05K 7/20836", "Y02D 10/00"], ["H05K 7/20"]),
        ("Femtosecond laser glass cutting method", ["B23K 26/0624", "B23K 26/53"],
         ["B23K 26/0622"]),
        ("Quantum dot colour conversion film", ["G02F 1/133617", "C09K 11/02"],
         ["G02F 1/1335"]),
        ("Automotive lidar beam steering method", ["G01S 7/4817", "G01S 17/931"],
         ["G01S 17/931"]),
        ("Chip-scale package with embedded heat spreader", ["H01L 23/3675"], ["H01L 23/367"]),
        ("Fibre laser with all-fibre pump combiner", ["H01S 3/06754"], ["H01S 3/067"]),
    ],
    "software": [
        ("Image recognition method based on a lightweight convolutional neural network",
         ["G06V 10/82", "G06N 3/0464"], ["G06V 10/82"]),
        ("Federated learning method for privacy-preserving data sharing",
         ["G06N 20/00", "H04L 9/008"], ["G06N 20/00"]),
        ("Speech synthesis method with emotion control", ["G10L 13/10"], ["G10L 13/10"]),
        ("Surface defect detection method for industrial images", ["G06T 7/0004"],
         ["G06T 7/00"]),
        ("Multi-camera pedestrian re-identification method", ["G06V 40/103", "G06V 20/52"],
         ["G06V 40/10"]),
        ("Knowledge graph construction method for enterprise credit assessment",
         ["G06F 16/367"], ["G06F 16/36"]),
        ("Energy-aware task scheduling method for edge computing",
         ["G06F 9/4893", "Y02D 10/00"], ["G06F 9/48"]),
        ("Traffic signal timing optimisation method", ["G08G 1/081"], ["G08G 1/08"]),
    ],
    "manufacturing": [
        ("Trajectory planning method for six-axis industrial robots", ["B25J 9/1664"],
         ["B25J 9/16"]),
        ("Laser welding seam tracking system", ["B23K 26/044", "B23K 31/125"],
         ["B23K 26/044"]),
        ("Boom vibration suppression method for concrete pump trucks",
         ["E04G 21/0436", "B66C 13/066"], ["E04G 21/04"]),
        ("Energy-recovery hydraulic system for excavators", ["E02F 9/2217", "F15B 21/14"],
         ["E02F 9/22"]),
        ("Variable-frequency compressor control method for air conditioners",
         ["F24F 11/86", "Y02B 30/70"], ["F24F 11/86"]),
        ("Collaborative robot joint with integrated torque sensor",
         ["B25J 13/085", "B25J 17/0241"], ["B25J 13/08"]),
        ("Path planning method for warehouse automated guided vehicles", ["G05D 1/0217"],
         ["G05D 1/02"]),
        ("Defrosting control method for heat-pump water heaters",
         ["F24H 15/20", "Y02B 30/12"], ["F24H 4/04"]),
        ("Induction cooker coil with uniform heating", ["H05B 6/1245"], ["H05B 6/12"]),
    ],
    "materials": [
        ("Rare-earth permanent magnet with grain-boundary diffusion",
         ["H01F 1/0577", "H01F 41/0293"], ["H01F 1/057"]),
        ("Graphene conductive ink and preparation method", ["C09D 11/52", "C01B 32/194"],
         ["C09D 11/52"]),
        ("Biodegradable polylactic acid composite film", ["C08L 67/04", "Y02W 90/10"],
         ["C08L 67/04"]),
        ("Carbon-fibre reinforced thermoplastic composite for aerospace",
         ["C08J 5/042", "B29C 70/20"], ["C08J 5/04"]),
        ("High-entropy alloy coating by laser cladding", ["C23C 24/10", "C22C 30/00"],
         ["C23C 24/10"]),
        ("Aerogel thermal insulation board for buildings", ["C04B 38/0045", "E04B 1/88"],
         ["E04B 1/88"]),
        ("Titanium alloy powder for additive manufacturing", ["B22F 1/065", "B33Y 70/00"],
         ["B22F 1/065"]),
        ("Rare-earth recovery from waste magnets", ["C22B 59/00", "Y02P 10/20"],
         ["C22B 59/00"]),
    ],
    "agrifood": [
        ("Drought-tolerant hybrid rice breeding method", ["A01H 1/04", "A01H 6/4636"],
         ["A01H 1/04"]),
        ("Slow-release compound fertiliser with biochar", ["C05G 3/40"], ["C05G 3/40"]),
        ("Crop straw pellet fuel and production method", ["C10L 5/44", "Y02E 50/10"],
         ["C10L 5/44"]),
        ("Low-sugar herbal tea beverage and preparation method", ["A23F 3/34", "A23L 2/60"],
         ["A23F 3/34"]),
        ("Cold-chain preservation method for lychee", ["A23B 7/148"], ["A23B 7/148"]),
        ("Precision irrigation control method using soil moisture sensors",
         ["A01G 25/167", "Y02A 40/22"], ["A01G 25/16"]),
    ],
    "consumer": [
        ("Moisture-wicking knitted fabric and preparation method", ["D04B 1/16"],
         ["D04B 1/16"]),
        ("Stain-resistant denim finishing process", ["D06M 15/277"], ["D06M 15/277"]),
    ],
}

UTILITY_MODELS = {
    "new_energy": [
        ("Liquid-cooling plate structure for battery packs", ["H01M 10/6556", "Y02E 60/10"],
         ["H01M 10/6556"]),
        ("Photovoltaic module mounting bracket", ["H02S 20/30", "Y02E 10/50"], ["H02S 20/30"]),
        ("Charging connector with temperature monitoring", ["B60L 53/16", "Y02T 10/70"],
         ["B60L 53/16"]),
        ("Explosion-proof valve for battery cells", ["H01M 50/3425"], ["H01M 50/342"]),
        ("Portable energy storage power supply housing", ["H01M 50/204"], ["H01M 50/204"]),
    ],
    "biomedicine": [
        ("Disposable sterile sampling swab", ["A61B 10/0051"], ["A61B 10/00"]),
        ("Anti-free-flow clamp for infusion pumps", ["A61M 5/142"], ["A61M 5/142"]),
        ("Wearable electrocardiogram monitoring patch", ["A61B 5/259"], ["A61B 5/259"]),
        ("Support frame for cell culture bags", ["C12M 23/14"], ["C12M 1/00"]),
    ],
    "electronics": [
        ("Heat dissipation structure for chip packaging", ["H01L 23/367"], ["H01L 23/367"]),
        ("Water-cooled fibre laser output head", ["H01S 3/0407"], ["H01S 3/04"]),
        ("Shielded connector for high-speed boards", ["H01R 13/6581"], ["H01R 13/658"]),
        ("LED driver module with surge protection", ["H05B 45/50", "Y02B 20/30"],
         ["H05B 45/50"]),
    ],
    "software": [
        ("Edge computing gateway enclosure", ["H05K 5/02"], ["H05K 5/02"]),
        ("Camera mounting bracket for traffic monitoring", ["F16M 13/02"], ["F16M 13/02"]),
    ],
    "manufacturing": [
        ("Quick-change end effector for robot arms", ["B25J 15/04"], ["B25J 15/04"]),
        ("Dust-proof guide rail for CNC machine tools", ["B23Q 11/08"], ["B23Q 11/08"]),
        ("Anti-tipping outrigger for mobile cranes", ["B66C 23/78"], ["B66C 23/78"]),
        ("Noise-reduction bracket for air-conditioner outdoor units", ["F24F 1/40"],
         ["F24F 1/40"]),
        ("Conveyor belt deviation correction device", ["B65G 39/16"], ["B65G 39/16"]),
    ],
    "materials": [
        ("Cooling device for magnet sintering furnaces", ["F27B 5/16"], ["F27B 5/16"]),
        ("Film winding tension control device", ["B65H 23/195"], ["B65H 23/195"]),
        ("Coating thickness measuring fixture", ["G01B 7/06"], ["G01B 7/06"]),
    ],
    "agrifood": [
        ("Seedling tray for rice transplanting", ["A01G 9/029"], ["A01G 9/029"]),
        ("Tea leaf rolling machine", ["A23F 3/12"], ["A23F 3/12"]),
        ("Anti-clogging drip irrigation emitter", ["A01G 25/023", "Y02A 40/22"],
         ["A01G 25/02"]),
    ],
    "consumer": [
        ("Handbag clasp with magnetic lock", ["A45C 13/1069"], ["A45C 13/10"]),
        ("Adjustable shoe lacing device", ["A43C 11/165"], ["A43C 11/16"]),
    ],
}

# Design patents name the product; they carry no CPC or IPC codes (designs use Locarno).
DESIGNS = {
    "new_energy": ["Portable power station", "Electric vehicle charging pile",
                   "Battery swap cabinet"],
    "biomedicine": ["Handheld ultrasound probe", "Blood glucose meter"],
    "electronics": ["Smart watch", "Wireless earphone charging case", "Laser marking machine"],
    "manufacturing": ["Air conditioner indoor unit", "Robot vacuum cleaner",
                      "Industrial robot arm", "Electric kettle", "Excavator cab"],
    "agrifood": ["Beverage can", "Tea gift box"],
    "consumer": ["Handbag", "Sunglasses frame", "Sneaker sole", "Perfume bottle", "Watch case"],
}

TRADEMARK_WORDS = {
    "new_energy": ["POWER", "ENERGY", "CELL"], "biomedicine": ["BIO", "PHARMA", "CARE"],
    "electronics": ["CHIP", "OPTICS", "TECH"], "software": ["AI", "VISION", "CLOUD"],
    "data": ["DATA", "INSIGHT"], "manufacturing": ["ROBOTICS", "SMART", "HOME"],
    "materials": ["MAG", "NANO"], "agrifood": ["TEA", "SEEDS", "FRESH"],
    "film": ["PICTURES", "STUDIOS"], "music": ["MUSIC", "RECORDS"],
    "digital_content": ["KIDS", "GAMES", "COMICS"], "consumer": ["JEANS", "KIDS", "LUXE"],
    "finance": ["IP FINANCE", "LEASING"], "culture_finance": ["CULTURE", "LEASING"],
}
NICE_CLASSES = {
    "new_energy": [9, 12, 40], "biomedicine": [5, 10, 44], "electronics": [9, 11, 42],
    "software": [9, 35, 42], "data": [9, 35, 42], "manufacturing": [7, 9, 11, 37],
    "materials": [1, 6, 17], "agrifood": [29, 30, 31, 32], "film": [9, 38, 41],
    "music": [9, 41], "digital_content": [9, 16, 28, 41], "consumer": [3, 14, 18, 25],
    "finance": [36], "culture_finance": [36, 41],
}
SOFTWARE = {
    "new_energy": ["Battery Management System", "Energy Storage Dispatch Platform",
                   "PV Plant Monitoring System"],
    "biomedicine": ["Clinical Trial Data Management System",
                    "Laboratory Information Management System"],
    "electronics": ["Chip Test Program Generator", "Laser Marking Control Software"],
    "software": ["Image Annotation Platform", "Intelligent Video Analytics System",
                 "Credit Risk Scoring Engine"],
    "data": ["Data Governance Platform", "Privacy Computing Node", "Data Product Catalogue"],
    "manufacturing": ["Robot Offline Programming Software", "Manufacturing Execution System",
                      "Predictive Maintenance Platform"],
    "materials": ["Sintering Process Control Software"],
    "agrifood": ["Irrigation Scheduling App", "Seed Traceability System"],
    "digital_content": ["Mobile Game Client", "Animation Rendering Pipeline",
                        "Online Comics Reader"],
    "finance": ["Supply-Chain Finance Platform", "IP Pledge Loan Management System"],
    "culture_finance": ["Copyright Lease Management System", "Film Revenue Tracking System"],
    "consumer": ["Membership Mini-Program"],
}
FILMS = ["The Long Night Train", "Lanterns over the Pearl River", "Harbour of Silent Stars",
         "Mountain Tea Road", "The Last Kite Maker", "Blue Shore", "Echoes of the Grand Canal",
         "Iron Orchard", "Winter Swallows", "The Cartographer's Daughter", "Salt and Silk",
         "Paper Boats", "A Summer in Lijiang", "Signal Fire"]
MUSIC_WORKS = ["Songs of the South Wind (album)", "Neon Harbour (album)",
               "Midnight Radio (single)", "River Town Ballads (catalogue of 48 songs)",
               "Paper Moon Sessions (album)", "Highway Hymns (catalogue of 120 recordings)",
               "Quiet Rooms (album)", "Copper Strings (catalogue of 35 compositions)",
               "Night Market Lights (single)", "Northern Lines (album)"]
OTHER_WORKS = {
    "digital_content": ["cartoon character artwork series", "illustrated children's book series",
                        "animated series storyboards"],
    "consumer": ["seasonal print pattern collection", "store interior design drawings"],
    "film": ["screenplay and character designs", "film poster artwork"],
    "music": ["album cover artwork", "song lyrics collection"],
    "": ["product manual and technical drawings", "corporate typeface family",
         "training course materials"],
}
DATA_SETS = {
    "new_energy": ["Power battery operating data set", "Distributed PV generation data set"],
    "biomedicine": ["De-identified clinical imaging data set", "Real-world drug outcome data set"],
    "software": ["Annotated street-scene image data set", "Anonymised SME credit data product"],
    "data": ["Urban traffic flow data set", "Anonymised SME credit data product",
             "Retail foot-traffic data product", "Industrial equipment sensor data set"],
    "agrifood": ["Crop yield remote-sensing data set"],
    "": ["Customer transaction data set"],
}
TRADE_SECRETS = {
    "new_energy": ["Cathode sintering process parameters", "Electrolyte additive formulation"],
    "biomedicine": ["Cell culture medium formulation", "Antibody cell line and process know-how"],
    "electronics": ["Wafer etching recipe"],
    "software": ["Recommendation model training pipeline", "Pricing algorithm source code"],
    "data": ["Data cleaning and desensitisation rules"],
    "materials": ["Magnet alloy composition and heat-treatment schedule",
                  "Nano-coating process window"],
    "agrifood": ["Herbal tea formula", "Parent rice line breeding records"],
    "": ["Manufacturing process know-how"],
}

CURRENCY = {"CN": "CNY", "US": "USD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "JP": "JPY",
            "KR": "KRW"}
# Rough units of each currency per CNY; they only scale the invented amounts.
PER_CNY = {"CNY": 1.0, "USD": 0.14, "GBP": 0.11, "EUR": 0.13, "JPY": 21.0, "KRW": 190.0}
UTILITY_MODEL_COUNTRIES = {"CN", "DE", "JP", "KR"}
# Share of an issuer's inventions registered as the US member of its patent family.
US_FAMILY_SHARE = {"CN": 0.05, "GB": 0.3, "DE": 0.3, "FR": 0.3, "JP": 0.3, "KR": 0.3}

# Typical appraised value of one asset of each kind for an SME, in CNY.
KIND_VALUE = {INV: 3e6, UM: 6e5, DES: 3e5, TM: 2e6, SW: 1e6, FILM: 2e7, MUSIC: 5e6,
              WORK: 8e5, DATA: 3e6, SECRET: 4e6}
TYPE_VALUE = {SME: 1.0, LARGE: 4.0, UNI: 1.5, INST: 1.2, PERSON: 0.6, FIN: 1.0}
ASSET_COUNT = {SME: (6, 11), LARGE: (12, 20), UNI: (9, 14), INST: (6, 11), PERSON: (2, 4),
               FIN: (5, 9)}
SHOWCASE_ASSETS = 14

# Per issuer type: revenue (CNY) and employees in 2019, R&D intensity, high-skill share and
# yearly patent applications.
FINANCIALS = {
    SME: (8e7, 180, (0.03, 0.08), (0.25, 0.55), (3, 25)),
    LARGE: (6e9, 8000, (0.02, 0.06), (0.15, 0.40), (80, 900)),
    UNI: (3e9, 6000, (0.35, 0.55), (0.60, 0.85), (150, 800)),
    INST: (4e8, 600, (0.50, 0.80), (0.65, 0.90), (30, 200)),
    FIN: (6e8, 150, (0.002, 0.01), (0.30, 0.50), (0, 2)),
}
FEW_PATENTS_SECTORS = {"film", "music", "consumer", "finance", "culture_finance"}

CN_APPRAISERS = ["China Appraisal Society member firm", "Zhonglian Assets Appraisal",
                 "Beijing Pan-China Appraisal", "China Enterprise Appraisals"]
# Duff & Phelps took the Kroll name in 2022.
INTL_APPRAISERS = ["Duff & Phelps", "Ocean Tomo", "Houlihan Lokey", "Grant Thornton"]

CN_LICENSEES = ["Dongguan Xinda Electronics Co., Ltd.", "Huizhou Rongtai New Energy Co., Ltd.",
                "Zhuhai Haiyue Medical Co., Ltd.", "Suzhou Hengli Automation Co., Ltd.",
                "Hangzhou Jiayun Network Technology Co., Ltd.",
                "Chongqing Shancheng Auto Parts Co., Ltd.", "Tianjin Binhai Pharma Co., Ltd.",
                "Xiamen Lujiang Optoelectronics Co., Ltd."]
INTL_LICENSEES = ["Northgate Apparel LLC", "Bluewater Pharmaceuticals Inc.",
                  "Meridian Media Distribution Ltd", "Alpenlicht Vertriebs GmbH",
                  "Sakura Components Co., Ltd.", "Hanul Electronics Co., Ltd.",
                  "Atlantic Streaming Services Inc."]
CN_TERRITORIES = ["Mainland China", "Mainland China", "Guangdong-Hong Kong-Macao Greater Bay Area",
                  "Worldwide"]
INTL_TERRITORIES = ["Worldwide", "Worldwide", "North America", "European Union", "Asia-Pacific"]

CN_BANKS = ["Bank of China", "China Construction Bank", "Industrial and Commercial Bank of China",
            "China Merchants Bank", "Bank of Communications"]
CN_OTHER_PLEDGEES = ["Shenzhen Hi-Tech Investment Microcredit Co., Ltd.",
                     "Zhongguancun Technology Financing Guarantee Co., Ltd.",
                     "Guangzhou Science and Technology Financing Guarantee Co., Ltd."]
INTL_PLEDGEES = ["Wells Fargo Bank, N.A. (collateral agent)", "HSBC UK Bank plc",
                 "Deutsche Bank AG", "MUFG Bank, Ltd.", "Korea Development Bank", "BNP Paribas"]

# Approximate first publication numbers by year, so numbers look their age.
CN_SERIES = {
    INV: {2005: 100, 2010: 101, 2012: 102, 2014: 103, 2015: 104, 2016: 105, 2017: 106,
          2018: 107, 2019: 109, 2020: 111, 2021: 112, 2022: 114, 2023: 116, 2024: 117},
    UM: {2010: 201, 2012: 202, 2014: 203, 2015: 204, 2016: 205, 2017: 206, 2018: 207,
         2019: 209, 2020: 211, 2021: 213, 2022: 216, 2023: 218, 2024: 220},
    DES: {2010: 301, 2013: 302, 2015: 303, 2017: 304, 2018: 305, 2020: 306, 2022: 307,
          2023: 308, 2025: 309},
}
US_PATENT_SERIES = {2005: 6_840_000, 2010: 7_640_000, 2012: 8_087_000, 2014: 8_621_000,
                    2016: 9_226_000, 2018: 9_855_000, 2019: 10_165_000, 2020: 10_524_000,
                    2021: 10_881_000, 2022: 11_212_000, 2023: 11_540_000, 2024: 11_856_000}
US_DESIGN_SERIES = {2012: 655_000, 2015: 722_000, 2018: 805_000, 2020: 872_000,
                    2021: 910_000, 2022: 940_000, 2023: 975_000, 2024: 1_010_000}
US_TRADEMARK_SERIES = {2005: 2_940_000, 2010: 3_730_000, 2014: 4_460_000, 2016: 4_880_000,
                       2018: 5_370_000, 2020: 5_950_000, 2022: 6_600_000, 2024: 7_260_000}
CN_TRADEMARK_SERIES = {2005: 4_500_000, 2008: 6_500_000, 2012: 11_000_000, 2015: 16_000_000,
                       2017: 22_000_000, 2018: 28_000_000, 2019: 36_000_000,
                       2020: 44_000_000, 2021: 52_000_000, 2022: 62_000_000,
                       2023: 70_000_000, 2024: 76_000_000}
CN_KIND_CODES = {INV: "B", UM: "U", DES: "S"}
# US Copyright Office registration classes.
US_COPYRIGHT_CLASS = {SW: "TX", FILM: "PA", MUSIC: "SR", WORK: "VA"}


@dataclass
class AssetPlan:
    """One asset to create, with what hangs off it; dicts are service keyword arguments."""

    fields: dict
    valuations: list[dict] = field(default_factory=list)
    licences: list[tuple[dict, list[dict]]] = field(default_factory=list)
    pledges: list[dict] = field(default_factory=list)


@dataclass
class IssuerPlan:
    """One issuer to create with its yearly financials and its assets."""

    fields: dict
    financials: list[dict]
    assets: list[AssetPlan]


SUMMARY_LABELS = ("users", "memberships", "issuers", "issuer financials", "IP assets",
                  "green IP assets", "IP assets with dispersion over 30 %", "valuations",
                  "licences", "royalty receipts", "pledges")


@dataclass
class DemoResult:
    """What load_demo created: counts by record type and the demo logins."""

    counts: Counter
    logins: list[tuple[str, str]]


@dataclass
class _Issuer:
    """Per-issuer state while planning."""

    profile: IssuerProfile
    currency: str
    showcase: bool
    used_titles: set = field(default_factory=set)


# Small helpers


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _digits(rng: random.Random, count: int) -> str:
    return f"{rng.randrange(10**count):0{count}d}"


def _recent_year(rng: random.Random, low: int, high: int) -> int:
    """Draw a year in low..high, later years more likely (registrations keep growing)."""
    return rng.choices(range(low, high + 1), weights=range(1, high - low + 2))[0]


def _in_year(rng: random.Random, year: int, as_of: date) -> date:
    return _random_date(rng, date(year, 1, 1), min(date(year, 12, 31), as_of))


def _after(rng: random.Random, day: date, low_years: float, high_years: float) -> date:
    return day + timedelta(days=round(365.25 * rng.uniform(low_years, high_years)))


def _series(anchors: dict[int, int], year: int) -> int:
    """Return the anchor of the latest year not after year (the earliest if none)."""
    eligible = [key for key in anchors if key <= year]
    return anchors[max(eligible) if eligible else min(anchors)]


def _money(amount: float) -> Decimal:
    """Round an invented amount to whole thousands, as reports show them."""
    return Decimal(round(amount / 1000) * 1000)


def _significant(amount: float, digits: int = 3) -> Decimal:
    """Round an appraisal to a few significant digits, as appraisers report them."""
    return Decimal(f"{amount:.{digits - 1}e}").quantize(Decimal(1))


def _fraction(value: float) -> Decimal:
    return Decimal(f"{value:.4f}")


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _pick(rng: random.Random, options: list, used: set, key=lambda option: option):
    """Choose an option this issuer has not used yet, or any once all are used."""
    fresh = [option for option in options if key(option) not in used]
    choice = rng.choice(fresh or options)
    used.add(key(choice))
    return choice


def _sector_list(table: dict, sector: str) -> list:
    return table.get(sector) or table[""]


# Identifiers


def _uscc(rng: random.Random, profile: IssuerProfile, taken: set) -> str:
    # 9 = registered by market regulation (enterprise), 1 = company; public institutions
    # such as universities and research institutes are 12 (institution registration).
    head = "12" if profile.issuer_type in (UNI, INST) else "91"
    while True:
        # Codes issued since the 2015 reform start their organisation part with MA.
        if profile.founded and profile.founded >= 2016:
            body = "MA" + "".join(rng.choices(identifiers.USCC_ALPHABET, k=7))
        else:
            body = "".join(rng.choices(identifiers.USCC_ALPHABET, k=9))
        first17 = head + profile.division + body
        code = first17 + identifiers.uscc_check_character(first17)
        if code not in taken:
            taken.add(code)
            return code


def _lei(rng: random.Random, taken: set) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while True:
        base = "".join(rng.choices(alphabet, k=18))
        code = base + identifiers.lei_check_digits(base)
        if code not in taken:
            taken.add(code)
            return code


def _registry_number(rng: random.Random, kind: str, country: str, filed: date | None,
                     granted: date | None, issuer: _Issuer) -> str:
    """Return a number in the registry format of kind and country, dated by its dates."""
    year = (granted or filed).year if (granted or filed) else rng.randint(2012, 2023)
    region = issuer.profile.province.removeprefix("CN-") if country == "CN" else country
    brand = issuer.profile.brand.upper().replace(" ", "")[:10]
    if country == "CN" and kind in (INV, UM, DES):
        if kind == INV and granted is None:  # published application, not yet granted
            return f"CN{_series(CN_SERIES[INV], filed.year + 1)}{_digits(rng, 6)}A"
        return f"CN{_series(CN_SERIES[kind], year)}{_digits(rng, 6)}{CN_KIND_CODES[kind]}"
    if country == "US" and kind == INV:
        if granted is None:
            return f"US{filed.year + 1}0{_digits(rng, 6)}A1"
        return f"US{_series(US_PATENT_SERIES, year) + rng.randrange(300_000)}B2"
    if country == "US" and kind == DES:
        return f"USD{_series(US_DESIGN_SERIES, year) + rng.randrange(30_000)}S"
    if kind == TM and country == "US":
        return f"{_series(US_TRADEMARK_SERIES, year) + rng.randrange(300_000):07d}"
    if kind == TM and country == "CN":
        return str(_series(CN_TRADEMARK_SERIES, filed.year) + rng.randrange(3_000_000))
    if kind == SW and country == "CN":
        return f"{year}SR{rng.randrange(1_500_000):07d}"
    if country == "US" and kind in US_COPYRIGHT_CLASS:
        return f"{US_COPYRIGHT_CLASS[kind]}{rng.randrange(800_000, 9_400_000):010d}"
    foreign = {
        # German numbers are application numbers: they carry the filing year.
        (INV, "DE"): lambda: f"DE10{filed.year}{_digits(rng, 6)}B4",
        (UM, "DE"): lambda: f"DE20{filed.year}{_digits(rng, 6)}U1",
        (DES, "DE"): lambda: f"40{filed.year}{_digits(rng, 6)}",
        (TM, "DE"): lambda: f"30{filed.year}{_digits(rng, 6)}",
        (INV, "JP"): lambda: f"JP{rng.randrange(6_500_000, 7_600_000)}B2",
        (UM, "JP"): lambda: f"JP3{_digits(rng, 6)}U",
        (DES, "JP"): lambda: f"JP{rng.randrange(1_600_000, 1_780_000)}S",
        (TM, "JP"): lambda: str(rng.randrange(5_800_000, 6_800_000)),
        (INV, "KR"): lambda: f"KR10{_digits(rng, 7)}B1",
        (UM, "KR"): lambda: f"KR20{_digits(rng, 7)}Y1",
        (DES, "KR"): lambda: f"KR30{_digits(rng, 7)}S",
        (TM, "KR"): lambda: f"40{_digits(rng, 7)}0000",
        (INV, "GB"): lambda: f"GB{rng.randrange(2_500_000, 2_620_000)}B",
        (DES, "GB"): lambda: str(rng.randrange(6_000_000, 6_300_000)),
        (TM, "GB"): lambda: f"UK0000{rng.randrange(3_300_000, 3_900_000)}",
        (INV, "FR"): lambda: f"FR{rng.randrange(3_000_000, 3_150_000)}B1",
        (DES, "FR"): lambda: f"FR{year}{_digits(rng, 4)}",
        (TM, "FR"): lambda: str(rng.randrange(4_500_000, 5_000_000)),
    }
    if (kind, country) in foreign:
        return foreign[kind, country]()
    # No public register: registration keys of copyright centres and data exchanges,
    # internal references for trade secrets and unregistered software.
    prefix = {FILM: "FILM", MUSIC: "MUSIC", WORK: "WORK", DATA: "DATA"}.get(kind)
    if prefix:
        return f"{prefix}-{region}-{year}-{_digits(rng, 5)}"
    return f"{'TS' if kind == SECRET else 'SW'}-{brand}-{year}-{_digits(rng, 3)}"


# Assets


def _dates(rng: random.Random, kind: str, country: str, as_of: date):
    """Return filing, grant and expiry dates consistent with the kind's legal term."""
    latest = min(as_of, date(LAST_YEAR, 6, 30))
    if kind == INV:
        filed = _in_year(rng, _recent_year(rng, 2004, 2023), latest)
        granted = _after(rng, filed, 1.5, 4.0)
        return filed, (granted if granted <= latest else None), _add_years(filed, 20)
    if kind == UM:
        filed = _in_year(rng, _recent_year(rng, 2013, 2024), latest)
        return filed, min(_after(rng, filed, 0.4, 1.2), latest), _add_years(filed, 10)
    if kind == DES:
        filed = _in_year(rng, _recent_year(rng, 2013, 2024), latest)
        granted = min(_after(rng, filed, 0.3, 1.0), latest)
        if country == "CN":  # 10 years, 15 for applications from 1 June 2021
            return filed, granted, _add_years(filed, 15 if filed >= date(2021, 6, 1) else 10)
        if country == "US":
            return filed, granted, _add_years(granted, 15)
        return filed, granted, _add_years(filed, 25)
    if kind == TM:
        filed = _in_year(rng, _recent_year(rng, 2005, 2024), latest)
        granted = min(_after(rng, filed, 0.6, 1.4), latest)
        expiry = _add_years(granted, 10)
        # Most owners renew for further ten-year terms; the others let the mark expire.
        while expiry < as_of and rng.random() < 0.85:
            expiry = _add_years(expiry, 10)
        return filed, granted, expiry
    if kind == SW:
        filed = _in_year(rng, _recent_year(rng, 2015, 2025), latest)
        return filed, min(_after(rng, filed, 0.1, 0.4), latest), date(filed.year + 50, 12, 31)
    if kind in (FILM, WORK):
        filed = _in_year(rng, _recent_year(rng, 2008, 2024), latest)
        term = 95 if country == "US" else 50
        return filed, None, date(filed.year + term, 12, 31)
    if kind == MUSIC:
        # Catalogues run back decades; the term follows the authors' lives.
        filed = _in_year(rng, rng.randint(1985, 2023), latest)
        return filed, None, date(filed.year + rng.randint(60, 95), 12, 31)
    if kind == DATA:
        return _in_year(rng, _recent_year(rng, 2021, 2025), latest), None, None
    return None, None, None


def _status(rng: random.Random, kind: str, expiry: date | None, as_of: date) -> str:
    if expiry is not None and expiry < as_of:
        return AssetStatus.EXPIRED
    if kind in (INV, UM, DES):
        draw = rng.random()
        if draw < 0.07:  # annuities left unpaid
            return AssetStatus.LAPSED
        if draw < 0.09:
            return AssetStatus.INVALIDATED
    return AssetStatus.ACTIVE


def _title_and_codes(rng: random.Random, kind: str, issuer: _Issuer, filed: date | None):
    """Return title, CPC codes, IPC codes and Nice classes for a new asset."""
    sector, brand = issuer.profile.sector, issuer.profile.brand
    used = issuer.used_titles
    if kind in (INV, UM):
        donor = rng.choice(PATENT_SECTORS.get(sector, (sector,)))
        table = INVENTIONS if kind == INV else UTILITY_MODELS
        title, cpc, ipc = _pick(rng, table.get(donor) or table["software"], used,
                                key=lambda row: row[0])
        return title, list(cpc), list(ipc), []
    if kind == DES:
        return _pick(rng, DESIGNS.get(sector) or DESIGNS["electronics"], used), [], [], []
    if kind == TM:
        word = rng.choice(TRADEMARK_WORDS[sector])
        mark = brand.upper()
        title = rng.choice([f"{mark} (word mark)", f"{mark} {word}", f"{mark} (device mark)"])
        classes = NICE_CLASSES[sector]
        return title, [], [], sorted(rng.sample(classes, rng.randint(1, min(3, len(classes)))))
    if kind == SW:
        product = _pick(rng, SOFTWARE.get(sector) or SOFTWARE["software"], used)
        return f"{brand} {product} V{rng.randint(1, 5)}.0", [], [], []
    if kind == FILM:
        return _pick(rng, FILMS, used), [], [], []
    if kind == MUSIC:
        return _pick(rng, MUSIC_WORKS, used), [], [], []
    if kind == WORK:
        return f"{brand} {_pick(rng, _sector_list(OTHER_WORKS, sector), used)}", [], [], []
    if kind == DATA:
        name = _pick(rng, _sector_list(DATA_SETS, sector), used)
        return f"{name} ({filed.year - rng.randint(2, 5)}-{filed.year})", [], [], []
    return _pick(rng, _sector_list(TRADE_SECRETS, sector), used), [], [], []


def _valuations(rng: random.Random, asset: dict, base: float, currency: str,
                as_of: date) -> list[dict]:
    start = max(date(FIRST_YEAR, 1, 1), asset["grant_date"] or asset["filing_date"]
                or date(FIRST_YEAR, 1, 1))
    end = min(date(LAST_YEAR, 12, 31), as_of)
    if asset["expiry_date"] is not None:
        end = min(end, asset["expiry_date"] - timedelta(days=1))
    if start > end:
        return []
    count = rng.choices((1, 2, 3, 4), weights=(30, 35, 25, 10))[0]
    # Appraisers of one asset agree within 6-26 % unless this asset is a disputed one.
    spread = (rng.uniform(0.34, 0.9) if rng.random() < DISPERSED_SHARE
              else rng.uniform(0.06, 0.26))
    values = [base, base * (1 + spread)]
    values += [base * (1 + rng.uniform(0, spread)) for _ in range(count - 2)]
    values = rng.sample(values, len(values))[:count]
    days = sorted(_random_date(rng, start, end) for _ in range(count))
    firms = rng.sample(CN_APPRAISERS if currency == "CNY" else INTL_APPRAISERS, count)
    rows = []
    for value, day, firm in zip(values, days, firms, strict=True):
        method = rng.choices(list(ValuationMethod), weights=(60, 20, 20))[0]
        row = {"appraiser": "Kroll" if firm == "Duff & Phelps" and day.year >= 2022 else firm,
               "method": method, "value": _significant(value), "currency": currency,
               "valuation_date": day}
        if method == ValuationMethod.INCOME:
            legal_life = ((asset["expiry_date"] - day).days / 365.25
                          if asset["expiry_date"] else rng.uniform(3, 8))
            row.update(royalty_rate=_fraction(rng.uniform(0.02, 0.10)),
                       discount_rate=_fraction(rng.uniform(0.10, 0.22)),
                       useful_life_years=Decimal(f"{min(legal_life, rng.uniform(5, 12)):.1f}"))
        rows.append(row)
    return rows


def _quarter_ends(start: date, end: date, as_of: date) -> list[date]:
    ends = [date(year, month, day) for year in range(RECEIPTS_FROM, LAST_YEAR + 1)
            for month, day in ((3, 31), (6, 30), (9, 30), (12, 31))]
    return [end_of_quarter for end_of_quarter in ends
            if start <= end_of_quarter <= end and end_of_quarter <= as_of]


def _licence(rng: random.Random, asset: dict, base: float, issuer: _Issuer, as_of: date):
    """Return a licence and its quarterly receipts, or None when there is no room for one."""
    start_from = max(date(FIRST_YEAR, 1, 1), asset["grant_date"] or asset["filing_date"]
                     or date(FIRST_YEAR, 1, 1))
    start_to = min(date(2024, 12, 31), as_of)
    if start_from > start_to:
        return None
    start = _random_date(rng, start_from, start_to)
    end = _add_years(start, rng.choice((3, 5, 5, 7, 10))) - timedelta(days=1)
    if asset["expiry_date"] is not None:
        end = min(end, asset["expiry_date"])
    chinese = issuer.profile.country == "CN"
    licensees = CN_LICENSEES if chinese else INTL_LICENSEES
    if chinese and issuer.profile.issuer_type == SME and rng.random() < 0.25:
        # Licence-and-licence-back structures: the SME licenses its IP to a leasing company.
        licensees = [p.name for p in ISSUERS if p.issuer_type == FIN and p.country == "CN"]
    licence = {"licensee": rng.choice(licensees),
               "territory": rng.choice(CN_TERRITORIES if chinese else INTL_TERRITORIES),
               "exclusive": rng.random() < 0.3, "currency": issuer.currency,
               "start_date": start, "end_date": end}
    annual = base * rng.uniform(0.06, 0.15)
    minimum = 0.0
    if rng.random() < 0.75:
        licence["royalty_rate"] = _fraction(rng.uniform(0.02, 0.08))
        if rng.random() < 0.4:
            minimum = annual * 0.6
            licence["minimum_guarantee"] = _money(minimum)  # per year
    else:
        licence["fixed_fee"] = _money(annual)  # per year, paid quarterly
    # A few licensees stop paying part-way: the quarters after are recorded as zero.
    stops = rng.randint(4, 16) if rng.random() < 0.06 else None
    receipts = []
    for number, quarter_end in enumerate(_quarter_ends(start, end, as_of)):
        if rng.random() < 0.03:  # report not received for this quarter
            continue
        if stops is not None and number >= stops:
            amount = 0.0
        elif "fixed_fee" in licence:
            amount = float(licence["fixed_fee"]) / 4
        else:
            growth = 1.06 ** ((quarter_end - start).days / 365.25)
            amount = max(annual / 4 * growth * rng.uniform(0.75, 1.25), minimum / 4)
        receipts.append({"period_end": quarter_end, "amount": Decimal(f"{amount:.2f}")})
    return licence, receipts


def _pledge(rng: random.Random, asset: dict, issuer: _Issuer, as_of: date) -> dict | None:
    start = max(date(FIRST_YEAR, 1, 1), asset["grant_date"] or asset["filing_date"])
    end = min(date(LAST_YEAR, 6, 30), as_of)
    if start > end:
        return None
    registered = _random_date(rng, start, end)
    profile = issuer.profile
    if profile.country != "CN":
        pledgee = rng.choice(INTL_PLEDGEES)
    elif rng.random() < 0.65:
        pledgee = f"{rng.choice(CN_BANKS)}, {profile.city} Branch"
    else:
        pledgee = rng.choice(CN_OTHER_PLEDGEES)
    number = ""
    if asset["country"] == "CN" and asset["kind"] in (INV, UM, DES):
        # CNIPA pledge registrations: Y, year, province code, sequence.
        number = f"Y{registered.year}{profile.division[:2]}{rng.randrange(10**7):07d}"
    # IP-pledged loans mostly run one to three years; many are repaid and released.
    released = _after(rng, registered, 0.9, 3.0) if rng.random() < 0.45 else None
    return {"pledgee": pledgee, "registration_number": number, "registered_date": registered,
            "released_date": released if released and released <= as_of else None}


def _plan_asset(rng: random.Random, kind: str, issuer: _Issuer, taken: set,
                as_of: date) -> AssetPlan:
    profile = issuer.profile
    country = profile.country
    if kind == UM and country not in UTILITY_MODEL_COUNTRIES:
        kind = INV
    if kind == INV and rng.random() < US_FAMILY_SHARE.get(country, 0):
        country = "US"
    filed, granted, expiry = _dates(rng, kind, country, as_of)
    title, cpc, ipc, nice = _title_and_codes(rng, kind, issuer, filed)
    while (number := _registry_number(rng, kind, country, filed, granted, issuer)) in taken:
        pass
    taken.add(number)
    fields = {"kind": kind, "registry_number": number, "title": title, "country": country,
              "filing_date": filed, "grant_date": granted, "expiry_date": expiry,
              "cpc_codes": cpc, "ipc_codes": ipc, "nice_classes": nice,
              "status": _status(rng, kind, expiry, as_of)}
    plan = AssetPlan(fields)
    base = (KIND_VALUE[kind] * TYPE_VALUE[profile.issuer_type] * PER_CNY[issuer.currency]
            * rng.lognormvariate(0, 0.7))
    plan.valuations = _valuations(rng, fields, base, issuer.currency, as_of)
    if fields["status"] != AssetStatus.ACTIVE:
        return plan
    if rng.random() < (0.6 if issuer.showcase else 0.33):
        licence = _licence(rng, fields, base, issuer, as_of)
        if licence:
            plan.licences.append(licence)
    if kind in (INV, UM, DES, TM, SW) and rng.random() < (0.4 if issuer.showcase else 0.3):
        pledge = _pledge(rng, fields, issuer, as_of)
        if pledge:
            plan.pledges.append(pledge)
    return plan


# Financials


def _financials(rng: random.Random, profile: IssuerProfile, currency: str,
                financed_from: int | None, complete: bool) -> list[dict]:
    """Plan yearly figures; after a financing R&D intensity and employment step up."""
    if profile.issuer_type == PERSON:
        return []
    revenue_2019, employees_2019, intensity_range, skill_range, patent_range = (
        FINANCIALS[profile.issuer_type])
    revenue = revenue_2019 * PER_CNY[currency] * rng.lognormvariate(0, 0.6)
    employees = employees_2019 * rng.lognormvariate(0, 0.5)
    intensity = rng.uniform(*intensity_range)
    uplift = rng.uniform(0.02, 0.05)
    skill_share = rng.uniform(*skill_range)
    patents = rng.uniform(*patent_range) * (0.15 if profile.sector in FEW_PATENTS_SECTORS else 1)
    carbon_share = None
    if profile.sector == "new_energy":
        carbon_share = rng.uniform(0.25, 0.45)
    elif profile.sector in ("manufacturing", "materials") and rng.random() < 0.5:
        carbon_share = rng.uniform(0.05, 0.15)
    first, last = max(FIRST_YEAR, profile.founded or FIRST_YEAR), LAST_YEAR
    if not complete and rng.random() < 0.1:  # records begin after 2019
        first = max(first, rng.choice((2020, 2021)))
    if not complete and rng.random() < 0.1:  # latest year not yet filed
        last = LAST_YEAR - 1
    rows = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        after = financed_from is not None and year > financed_from
        if year > FIRST_YEAR:
            covid = -0.08 if year == 2020 else 0.0
            revenue *= 1 + rng.gauss(0.08, 0.07) + covid + (0.05 if after else 0.0)
            # Financed issuers hire about 7 pp a year faster than industry in the year of the
            # financing and the next: about 15 % more over the two years.
            hiring = financed_from is not None and financed_from <= year <= financed_from + 1
            employees *= 1 + rng.uniform(0.01, 0.05) + (0.07 if hiring else 0) + rng.gauss(0, 0.01)
        if not first <= year <= last:
            continue
        year_intensity = max(0.001, intensity + (uplift if after else 0) + rng.gauss(0, 0.003))
        rnd = revenue * year_intensity
        carbon = None
        if carbon_share is not None:
            carbon = min(rnd, revenue * intensity * carbon_share * (1.18 if after else 1))
        headcount = round(employees)
        row = {"year": year, "currency": currency, "revenue": _money(revenue),
               "rnd_expense": _money(rnd), "employees": headcount,
               "high_skill_employees": round(headcount * skill_share),
               "patent_applications": round(patents * (1.25 ** (year - financed_from)
                                                       if after else 1) * rng.uniform(0.8, 1.2)),
               "carbon_rnd_expense": _money(carbon) if carbon is not None else None}
        for key in ("revenue", "rnd_expense", "employees", "high_skill_employees",
                    "patent_applications", "carbon_rnd_expense"):
            if not complete and rng.random() < 0.04:  # not reported
                row[key] = None
        rows.append(row)
    return rows


def plan_registry(rng: random.Random, *, as_of: date) -> list[IssuerPlan]:
    """Plan every demo issuer with its financials and assets; one seed gives one plan."""
    taken_ids: set[str] = set()
    taken_numbers: set[str] = set()
    plans = []
    for profile in ISSUERS:
        currency = CURRENCY[profile.country]
        issuer = _Issuer(profile, currency, showcase=profile.name == SHOWCASE_ISSUER)
        fields = {"name": profile.name, "country": profile.country,
                  "province": profile.province, "city": profile.city,
                  "issuer_type": profile.issuer_type, "sector": SECTOR_LABELS[profile.sector],
                  "founded_year": profile.founded}
        if profile.country == "CN" and profile.issuer_type != PERSON:
            fields["uscc"] = _uscc(rng, profile, taken_ids)
        elif profile.issuer_type == LARGE:
            fields["lei"] = _lei(rng, taken_ids)
        financed_from = None
        if issuer.showcase:
            financed_from = 2021
        elif profile.country == "CN" and profile.issuer_type == SME and rng.random() < 0.6:
            financed_from = rng.choice((2020, 2021, 2021, 2022))
        # The showcase issuer reports every figure, so its before-and-after story reads whole.
        financials = _financials(rng, profile, currency, financed_from,
                                 complete=issuer.showcase)
        count = SHOWCASE_ASSETS if issuer.showcase else rng.randint(
            *ASSET_COUNT[profile.issuer_type])
        mix = KIND_MIX[profile.sector]
        kinds = [next(iter(mix))] + [_weighted(rng, mix) for _ in range(count - 1)]
        assets = [_plan_asset(rng, kind, issuer, taken_numbers, as_of) for kind in kinds]
        plans.append(IssuerPlan(fields, financials, assets))
    return plans


# Loading


def demo_loaded() -> bool:
    """Tell whether the demo logins exist already."""
    return User.objects.filter(username__in=[row[0] for row in DEMO_USERS]).exists()


def load_demo(*, seed: int = DEFAULT_SEED, as_of: date) -> DemoResult:
    """Create the demo logins and registry through the services; the caller holds a transaction."""
    counts = Counter(dict.fromkeys(SUMMARY_LABELS, 0))
    users = {}
    for username, role, _issuer, _membership, staff in DEMO_USERS:
        users[username] = User.objects.create_user(
            username, email=f"{username}@example.com", password=DEMO_PASSWORD, role=role,
            first_name="Demo", last_name=username.removeprefix("demo-").replace("-", " ").title(),
            is_staff=staff, is_superuser=staff)
    counts["users"] = len(users)
    actor = users["demo-admin"]
    issuers = {}
    asset_ids = []
    for plan in plan_registry(random.Random(seed), as_of=as_of):
        issuer = services.issuer_create(actor=actor, **plan.fields)
        issuers[issuer.name] = issuer
        counts["issuers"] += 1
        for row in plan.financials:
            services.financials_create(actor=actor, issuer=issuer, **row)
            counts["issuer financials"] += 1
        for asset_plan in plan.assets:
            asset = services.asset_create(actor=actor, owner=issuer, **asset_plan.fields)
            asset_ids.append(asset.pk)
            counts["IP assets"] += 1
            counts["green IP assets"] += asset.green
            for row in asset_plan.valuations:
                services.valuation_create(actor=actor, recompute=False, asset=asset, **row)
                counts["valuations"] += 1
            for licence_row, receipt_rows in asset_plan.licences:
                licence = services.licence_create(actor=actor, asset=asset, **licence_row)
                counts["licences"] += 1
                for row in receipt_rows:
                    services.receipt_create(actor=actor, licence=licence, **row)
                    counts["royalty receipts"] += 1
            for row in asset_plan.pledges:
                services.pledge_create(actor=actor, asset=asset, **row)
                counts["pledges"] += 1
    # Recomputed here rather than after commit, so the dispersion is stored with the data.
    for asset_id in asset_ids:
        asset = services.asset_refresh_dispersion(asset_id=asset_id)
        counts["IP assets with dispersion over 30 %"] += asset.dispersion_flagged
    logins = []
    for username, role, issuer_name, membership, staff in DEMO_USERS:
        if issuer_name:
            services.membership_add(actor=actor, issuer=issuers[issuer_name],
                                    user=users[username], role=membership)
            counts["memberships"] += 1
            logins.append((username, f"issuer, {membership.label.lower()} of {issuer_name}"))
        else:
            description = "staff (Django admin)" if staff else role.label.lower()
            if two_factor.is_required(users[username]):
                description += ", sets up two-factor authentication at the first login"
            logins.append((username, description))
    return DemoResult(counts, logins)
