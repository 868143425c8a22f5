using CustomModels.Core.Listing;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CustomModels.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "model_counts",
                columns: table => new
                {
                    OrganizationId = table.Column<long>(type: "INTEGER", nullable: false),
                    TrainingStatus = table.Column<int>(type: "INTEGER", nullable: false),
                    Language = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    BaseModel = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_model_counts", x => new { x.OrganizationId, x.TrainingStatus, x.Language, x.BaseModel });
                });

            migrationBuilder.CreateTable(
                name: "organizations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_organizations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "api_keys",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganizationId = table.Column<long>(type: "INTEGER", nullable: false),
                    Prefix = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    SecretHash = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Scopes = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    RequestsPerMinute = table.Column<int>(type: "INTEGER", nullable: false),
                    MaxConcurrent = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RevokedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_api_keys", x => x.Id);
                    table.ForeignKey(
                        name: "FK_api_keys_organizations_OrganizationId",
                        column: x => x.OrganizationId,
                        principalTable: "organizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "custom_models",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrganizationId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    Language = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    BaseModel = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    TrainingStatus = table.Column<int>(type: "INTEGER", nullable: false),
                    TrainingProgress = table.Column<int>(type: "INTEGER", nullable: true),
                    TrainingError = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StartedTrainingAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FinishedTrainingAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FailedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    WordErrorRate = table.Column<double>(type: "REAL", nullable: true),
                    BaseWordErrorRate = table.Column<double>(type: "REAL", nullable: true),
                    AccuracyImprovement = table.Column<double>(type: "REAL", nullable: true),
                    CharacterErrorRate = table.Column<double>(type: "REAL", nullable: true),
                    TrainingHours = table.Column<double>(type: "REAL", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_custom_models", x => x.Id);
                    table.ForeignKey(
                        name: "FK_custom_models_organizations_OrganizationId",
                        column: x => x.OrganizationId,
                        principalTable: "organizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_OrganizationId",
                table: "api_keys",
                column: "OrganizationId");

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_Prefix",
                table: "api_keys",
                column: "Prefix",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_custom_models_OrganizationId_BaseModel_Id",
                table: "custom_models",
                columns: new[] { "OrganizationId", "BaseModel", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_custom_models_OrganizationId_Id",
                table: "custom_models",
                columns: new[] { "OrganizationId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_custom_models_OrganizationId_Language_Id",
                table: "custom_models",
                columns: new[] { "OrganizationId", "Language", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_custom_models_OrganizationId_TrainingStatus_Id",
                table: "custom_models",
                columns: new[] { "OrganizationId", "TrainingStatus", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_custom_models_OrganizationId_TrainingStatus_Language_Id",
                table: "custom_models",
                columns: new[] { "OrganizationId", "TrainingStatus", "Language", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_organizations_Name",
                table: "organizations",
                column: "Name",
                unique: true);

            // Hand-written: the triggers behind model_counts.
            migrationBuilder.Sql(ModelCountTriggers.Sqlite);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_keys");

            migrationBuilder.DropTable(
                name: "custom_models");

            migrationBuilder.DropTable(
                name: "model_counts");

            migrationBuilder.DropTable(
                name: "organizations");
        }
    }
}
